package jobs

import (
	"context"
	"strconv"
	"time"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// MaxWait bounds GET /api/jobs/{name}?wait=SECONDS. "Regardless of the
// function app timeout setting, 230 seconds is the maximum amount of time
// that an HTTP triggered function can take to respond to a request. This
// is because of the default idle timeout of Azure Load Balancer."
// (MicrosoftDocs/azure-docs, includes/functions-timeout-duration.md.)
// The handler's HTTP functions run under a 200 s deadline below that
// limit; 180 leaves room for the last status and output reads.
const MaxWait = 180 * time.Second

// DefaultPollInterval is how often Wait reads the job from AzureML.
const DefaultPollInterval = 5 * time.Second

// ParseWait parses the wait query parameter: whole seconds from 0 to
// MaxWait. An empty value is 0 (answer at once).
func ParseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if len(v) > 4 {
		return 0, invalid("wait", "%.8q… is not a number of seconds from 0 to %d", v, int(MaxWait.Seconds()))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || v[0] == '+' || v[0] == '-' {
		return 0, invalid("wait", "%q is not a number of seconds from 0 to %d", v, int(MaxWait.Seconds()))
	}
	d := time.Duration(n) * time.Second
	if d > MaxWait {
		return 0, invalid("wait", "%d seconds is more than the %d the HTTP platform allows (Azure closes requests after 230 s): wait again with another request", n, int(MaxWait.Seconds()))
	}
	return d, nil
}

// Wait reads a job until it reaches a terminal status (Completed, Failed,
// Canceled) or wait has passed, reading AzureML every poll interval, and
// answers its status as Status does. When ctx ends first (the caller went
// away) it returns ctx's error.
func (s *Service) Wait(ctx context.Context, name string, wait time.Duration) (Status, error) {
	deadline := s.now().Add(wait)
	interval := s.poll
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		st, err := s.Status(ctx, name)
		if err != nil || azureml.JobStatus(st.Status).Terminal() {
			return st, err
		}
		left := deadline.Sub(s.now())
		if left <= 0 {
			return st, nil
		}
		timer.Reset(min(interval, left))
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-timer.C:
		}
	}
}
