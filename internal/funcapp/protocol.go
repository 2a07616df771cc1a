package funcapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// InvokeRequest is the JSON body the Functions host POSTs to /<FunctionName>
// for non-HTTP triggers: one Data entry per trigger or input binding name,
// and trigger metadata.
type InvokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata Metadata                   `json:"Metadata"`
}

// Metadata is the part of the invocation metadata the suite reads. Unknown
// fields are ignored.
type Metadata struct {
	Sys Sys `json:"sys"`
}

// Sys is the host's system metadata of an invocation.
type Sys struct {
	MethodName string `json:"MethodName"`
	UtcNow     Time   `json:"UtcNow"`
	RandGuid   string `json:"RandGuid"`
}

// TimerInfo is the timer trigger's binding data.
type TimerInfo struct {
	Schedule       *TimerSchedule       `json:"Schedule"`
	ScheduleStatus *TimerScheduleStatus `json:"ScheduleStatus"`
	IsPastDue      bool                 `json:"IsPastDue"`
}

// TimerSchedule describes the timer's schedule.
type TimerSchedule struct {
	AdjustForDST bool `json:"AdjustForDST"`
}

// TimerScheduleStatus is the schedule monitor's record; the host sends null
// when useMonitor is off.
type TimerScheduleStatus struct {
	Last        Time `json:"Last"`
	Next        Time `json:"Next"`
	LastUpdated Time `json:"LastUpdated"`
}

// InvokeResponse is the reply to an invocation. The host needs a JSON object;
// an empty or null body leaves the invocation hanging until functionTimeout.
type InvokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// Time is a timestamp as the host writes it: RFC 3339 with or without an
// offset and with up to seven fractional digits (.NET's DateTime.ToString).
// Values without an offset are taken as UTC.
type Time struct {
	time.Time
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05.9999999Z07:00",
	"2006-01-02 15:04:05.9999999Z07:00",
	"2006-01-02 15:04:05.9999999",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04:05 PM -07:00",
	"01/02/2006 15:04:05",
}

// ParseTime parses a host timestamp leniently.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}

// UnmarshalJSON accepts a JSON string in any of the host's formats, or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes the time in RFC 3339 with nanoseconds, or null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// DecodeTimer decodes a timer invocation. The timer binding is the only Data
// entry; its name (e.g. "myTimer") comes from function.json and is not
// assumed.
func DecodeTimer(body []byte) (InvokeRequest, TimerInfo, error) {
	var req InvokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, TimerInfo{}, fmt.Errorf("invocation payload is not the host's JSON: %w", err)
	}
	var info TimerInfo
	if len(req.Data) != 1 {
		return req, info, fmt.Errorf("timer invocation has %d Data bindings, want exactly 1", len(req.Data))
	}
	for name, raw := range req.Data {
		if err := json.Unmarshal(raw, &info); err != nil {
			return req, info, fmt.Errorf("timer binding %q: %w", name, err)
		}
	}
	return req, info, nil
}
