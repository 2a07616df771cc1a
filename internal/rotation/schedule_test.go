package rotation

import (
	"strings"
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	tests := []struct {
		ttl  time.Duration
		want string
	}{
		{3600 * time.Second, "0 */30 * * * *"},
		{14400 * time.Second, "0 0 */3 * * *"},
		{86400 * time.Second, "0 0 */12 * * *"},
		{172800 * time.Second, "0 0 0 * * *"},
		{600 * time.Second, "0 */6 * * * *"},
		{75 * time.Second, "0 */1 * * * *"},
		{150 * time.Second, "0 */2 * * * *"},
		{4500 * time.Second, "0 0 */1 * * *"},  // 80 % = 3600
		{4499 * time.Second, "0 */30 * * * *"}, // 80 % = 3599.2
		{7 * 24 * time.Hour, "0 0 0 * * *"},    // over a day
		{1000 * time.Second, "0 */12 * * * *"}, // 800 s: uneven TTL
		{75*time.Second + 900*time.Millisecond, "0 */1 * * * *"},
	}
	for _, tc := range tests {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			got, err := Schedule(tc.ttl)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Schedule(%v) = %q, want %q", tc.ttl, got, tc.want)
			}
			if _, err := ncrontab.Parse(got); err != nil {
				t.Errorf("not parseable: %v", err)
			}
			// the schedule never leaves more than 80 % of the TTL between runs
			gap, err := MaxGap(got)
			if err != nil {
				t.Fatal(err)
			}
			if gap > tc.ttl*8/10 {
				t.Errorf("gap %v exceeds 80%% of TTL %v", gap, tc.ttl)
			}
		})
	}
	for _, ttl := range []time.Duration{74 * time.Second, 0, -time.Hour, 74*time.Second + 999*time.Millisecond} {
		t.Run("error "+ttl.String(), func(t *testing.T) {
			if s, err := Schedule(ttl); err == nil || !strings.Contains(err.Error(), "SECRET_TTL") {
				t.Errorf("Schedule(%v) = %q, %v; want an error naming SECRET_TTL", ttl, s, err)
			}
		})
	}
}

func TestMaxGap(t *testing.T) {
	tests := []struct {
		schedule string
		want     time.Duration
	}{
		{"0 */30 * * * *", 30 * time.Minute},
		{"0 0 */3 * * *", 3 * time.Hour},
		{"0 0 */5 * * *", 5 * time.Hour}, // 0,5,10,15,20: the 20:00 → 00:00 gap is shorter
		{"0 0 0 * * *", 24 * time.Hour},
		{"0 * * * * *", time.Minute},
		{"0 0 9 * * 1-5", 3 * 24 * time.Hour}, // Friday 09:00 → Monday 09:00
		{"0 0 0 1 * *", 31 * 24 * time.Hour},
		{"0 0 0 31 * *", 61 * 24 * time.Hour}, // 31 Jul → 31 Aug is 31 d; 31 Aug → 31 Oct is 61 d
		{"0 0 0 29 2 *", (366 + 365 + 365 + 365) * 24 * time.Hour},
		{"*/10 * * * * *", 10 * time.Second},
		{"0 0 * 1-28 * *", 3*24*time.Hour + time.Hour}, // 28th 23:00 → 1st 00:00 of a 31-day month
	}
	for _, tc := range tests {
		t.Run(tc.schedule, func(t *testing.T) {
			got, err := MaxGap(tc.schedule)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("MaxGap(%q) = %v, want %v", tc.schedule, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "0 */5 * * *", "not cron", "0 0 0 30 2 *"} {
		t.Run("error "+bad, func(t *testing.T) {
			if _, err := MaxGap(bad); err == nil {
				t.Errorf("MaxGap(%q) succeeded", bad)
			}
		})
	}
}

func TestNextRun(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 17, 5, 0, time.UTC)
	tests := []struct {
		schedule string
		want     time.Time
	}{
		{"0 */30 * * * *", time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)},
		{"0 0 */3 * * *", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{"0 0 0 * * *", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.schedule, func(t *testing.T) {
			got, err := NextRun(tc.schedule, at)
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("NextRun = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := NextRun("* * *", at); err == nil {
		t.Error("bad schedule accepted")
	}
}
