package azureml

import (
	"fmt"
	"strings"
	"time"
)

// FormatDuration writes d as an ISO 8601 duration (PT2H30M, PT45S), the
// form of a job's limits.timeout. Sub-second parts are rounded up to a
// whole second.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	secs := int64((d + time.Second - 1) / time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h := secs / 3600; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m := secs % 3600 / 60; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if s := secs % 60; s > 0 || secs == 0 {
		fmt.Fprintf(&b, "%dS", s)
	}
	return b.String()
}
