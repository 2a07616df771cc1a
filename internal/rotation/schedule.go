package rotation

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleSteps are the intervals (seconds) a rotation schedule may use:
// each divides a minute, an hour or a day evenly, so the NCRONTAB
// expression fires at exactly that interval.
var scheduleSteps = []int64{
	60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800,
	3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400,
}

// Schedule returns the NCRONTAB expression (six fields, seconds first) that
// rotates a token living ttl at 80 % of its lifetime: the interval is
// floor(ttl×0.8) seconds rounded down to the largest of 1–6, 10, 12, 15, 20,
// 30 minutes, 1–4, 6, 8, 12 hours or 1 day. TTLs whose 80 % is under a
// minute are an error.
//
//	3600s → "0 */30 * * * *"   14400s → "0 0 */3 * * *"   172800s → "0 0 0 * * *"
func Schedule(ttl time.Duration) (string, error) {
	interval := int64(ttl*8/10) / int64(time.Second)
	if ttl <= 0 || interval < 60 {
		return "", fmt.Errorf("SECRET_TTL %v is too short: 80%% of it must be at least 60 seconds (use at least 75)", ttl)
	}
	step := scheduleSteps[0]
	for _, s := range scheduleSteps {
		if s <= interval {
			step = s
		}
	}
	switch {
	case step == 86400:
		return "0 0 0 * * *", nil
	case step >= 3600:
		return fmt.Sprintf("0 0 */%d * * *", step/3600), nil
	default:
		return fmt.Sprintf("0 */%d * * * *", step/60), nil
	}
}

// ncrontab parses six-field NCRONTAB expressions (second minute hour day
// month day-of-week), as the Functions timer trigger does.
var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// gapWindow is how far MaxGap follows a schedule: a year and a month covers
// every month length and a leap day.
const gapWindow = 400 * 24 * time.Hour

// starBit marks a field written as "*" in robfig/cron's SpecSchedule.
const starBit = 1 << 63

// window returns how far a schedule must be followed to see every gap: one
// day repeats when day, month and weekday are unconstrained, one week when
// only the weekday is constrained, else gapWindow.
func window(s cron.Schedule) time.Duration {
	spec, ok := s.(*cron.SpecSchedule)
	if !ok || spec.Dom&starBit == 0 || spec.Month&starBit == 0 {
		return gapWindow
	}
	if spec.Dow&starBit != 0 {
		return 2 * 24 * time.Hour
	}
	return 15 * 24 * time.Hour
}

// maxGapRuns bounds the work for schedules that fire very often; their
// longest gap shows within the first runs.
const maxGapRuns = 600_000

// gapStart is the fixed, UTC start of the analysis (a leap year), so MaxGap
// is deterministic.
var gapStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxGap returns the longest time between two consecutive runs of the
// six-field NCRONTAB expression schedule, evaluated in UTC from 2024-01-01
// over as many days as the schedule needs to repeat (two days, fifteen
// days, or 400 days when day of month or month is constrained; at most
// 600 000 runs). The handler compares it with the token lifetime: a token
// expires before the next run when MaxGap > SECRET_TTL. Call it once at
// start: dense schedules with a constrained day cost up to a second.
func MaxGap(schedule string) (time.Duration, error) {
	s, err := ncrontab.Parse(schedule)
	if err != nil {
		return 0, errors.New("ROTATION_SCHEDULE is not a six-field NCRONTAB expression (second minute hour day month day-of-week)")
	}
	prev := s.Next(gapStart.Add(-time.Second))
	if prev.IsZero() {
		return 0, errors.New("ROTATION_SCHEDULE never fires")
	}
	end := gapStart.Add(window(s))
	var gap time.Duration
	for runs := 0; prev.Before(end) && runs < maxGapRuns; runs++ {
		next := s.Next(prev)
		if next.IsZero() {
			return 0, errors.New("ROTATION_SCHEDULE stops firing (no run within five years)")
		}
		gap = max(gap, next.Sub(prev))
		prev = next
	}
	return gap, nil
}

// NextRun returns the first run of the six-field NCRONTAB expression
// schedule after t, evaluated in UTC; Health compares it with the token's
// expiry.
func NextRun(schedule string, after time.Time) (time.Time, error) {
	s, err := ncrontab.Parse(schedule)
	if err != nil {
		return time.Time{}, errors.New("ROTATION_SCHEDULE is not a six-field NCRONTAB expression (second minute hour day month day-of-week)")
	}
	next := s.Next(after.UTC())
	if next.IsZero() {
		return time.Time{}, errors.New("ROTATION_SCHEDULE never fires")
	}
	return next, nil
}
