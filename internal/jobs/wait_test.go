package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/azureml"
)

// scriptedWorkspace answers GetJob with Running until done calls, then
// with final.
type scriptedWorkspace struct {
	Workspace
	calls atomic.Int32
	done  int32
	final azureml.JobStatus
}

func (w *scriptedWorkspace) GetJob(_ context.Context, name string) (azureml.Job, error) {
	if w.calls.Add(1) > w.done && w.done >= 0 {
		return azureml.Job{Name: name, Status: w.final, Tags: map[string]string{tagKind: KindTraining}}, nil
	}
	return azureml.Job{Name: name, Status: azureml.StatusRunning, Tags: map[string]string{tagKind: KindTraining}}, nil
}

func (w *scriptedWorkspace) StudioURL(azureml.Job) string { return "https://studio" }

func TestParseWait(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"30", 30 * time.Second, true}, {"180", MaxWait, true},
		{"181", 0, false}, {"200", 0, false}, {"-1", 0, false}, {"+5", 0, false}, {"1.5", 0, false}, {"10s", 0, false},
		{"abc", 0, false}, {"99999999999999999999", 0, false}, {" 5", 0, false},
	} {
		got, err := ParseWait(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseWait(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		var ve *ValidationError
		if !tc.ok && (!errors.As(err, &ve) || ve.Field != "wait") {
			t.Errorf("ParseWait(%q) = %v, %v; want a wait validation error", tc.in, got, err)
		}
	}
}

func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"", "0", "200", "201", "-1", "1e3", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseWait(s)
		if err == nil && (d < 0 || d > MaxWait || d%time.Second != 0) {
			t.Fatalf("ParseWait(%q) = %v", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("ParseWait(%q) = %v with error %v", s, d, err)
		}
	})
}

func TestWaitReturnsOnTerminalStatus(t *testing.T) {
	ws := &scriptedWorkspace{done: 3, final: azureml.StatusCanceled}
	s := NewService(Config{PollInterval: 5 * time.Millisecond}, ws, nil, nil)
	start := time.Now()
	st, err := s.Wait(context.Background(), "train-1", 10*time.Second)
	if err != nil || st.Status != "Canceled" || !st.Terminal {
		t.Fatalf("Wait = %+v, %v; want Canceled", st, err)
	}
	if n := ws.calls.Load(); n != 4 {
		t.Errorf("GetJob calls = %d, want 4", n)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Wait took %v after the job ended", time.Since(start))
	}
}

func TestWaitEndsWithTheWait(t *testing.T) {
	ws := &scriptedWorkspace{done: -1}
	s := NewService(Config{PollInterval: 10 * time.Millisecond}, ws, nil, nil)
	start := time.Now()
	st, err := s.Wait(context.Background(), "train-1", 60*time.Millisecond)
	if err != nil || st.Status != "Running" || st.Terminal {
		t.Fatalf("Wait = %+v, %v; want Running", st, err)
	}
	if el := time.Since(start); el < 60*time.Millisecond || el > 2*time.Second {
		t.Errorf("Wait took %v, want about 60ms", el)
	}
	if n := ws.calls.Load(); n < 3 {
		t.Errorf("GetJob calls = %d, want it polled", n)
	}
}

func TestWaitZeroReadsOnce(t *testing.T) {
	ws := &scriptedWorkspace{done: -1}
	s := NewService(Config{PollInterval: time.Millisecond}, ws, nil, nil)
	if st, err := s.Wait(context.Background(), "train-1", 0); err != nil || st.Status != "Running" {
		t.Fatalf("Wait = %+v, %v", st, err)
	}
	if n := ws.calls.Load(); n != 1 {
		t.Errorf("GetJob calls = %d, want 1", n)
	}
}

func TestWaitStopsWhenTheCallerLeaves(t *testing.T) {
	ws := &scriptedWorkspace{done: -1}
	s := NewService(Config{PollInterval: time.Hour}, ws, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Wait(ctx, "train-1", MaxWait); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the context's error", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Wait ignored the context for %v", time.Since(start))
	}
}
