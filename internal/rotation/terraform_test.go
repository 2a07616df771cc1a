package rotation

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestScheduleMatchesTerraform checks Schedule against the table the
// terraform module's HCL is tested with, so ROTATION_SCHEDULE computed by
// terraform equals `handler schedule --ttl`.
func TestScheduleMatchesTerraform(t *testing.T) {
	b, err := os.ReadFile("../infra/testdata/schedules.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		TTL      int64  `json:"ttl"`
		Schedule string `json:"schedule"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("empty table")
	}
	for _, r := range rows {
		if r.TTL < 75 {
			// Too short for a rotation; SECRET_TTL and terraform's
			// secret_ttl refuse it.
			if _, err := Schedule(time.Duration(r.TTL) * time.Second); err == nil {
				t.Errorf("Schedule(%d) accepted a TTL under 75 s", r.TTL)
			}
			continue
		}
		got, err := Schedule(time.Duration(r.TTL) * time.Second)
		if err != nil {
			t.Errorf("Schedule(%d) = %v", r.TTL, err)
			continue
		}
		if got != r.Schedule {
			t.Errorf("Schedule(%d) = %q, terraform computes %q", r.TTL, got, r.Schedule)
		}
	}
}
