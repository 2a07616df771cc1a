package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
)

// ncrontab parses the host's six-field schedules:
// {second} {minute} {hour} {day} {month} {day-of-week}, in UTC.
var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func parseSchedule(expr string) (cron.Schedule, error) {
	return ncrontab.Parse(expr)
}

type timer struct {
	fn      funcpkg.Function
	binding string
	expr    string
	sched   cron.Schedule
	monitor bool

	mu   sync.Mutex
	last time.Time
}

// runTimer fires t on its schedule until ctx ends. Like the host, the next
// occurrence waits for a running execution.
func (h *Host) runTimer(ctx context.Context, t *timer) {
	for {
		now := time.Now().UTC()
		next := t.sched.Next(now)
		h.log.Info().Str("function", t.fn.Name).Str("schedule", t.expr).Time("next", next).Msg("timer scheduled")
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		h.invokeTimer(ctx, t, "Timer fired")
	}
}

// timerPayload builds the JSON invocation body the host sends for a timer.
func (t *timer) payload(now time.Time) ([]byte, error) {
	t.mu.Lock()
	last := t.last
	t.last = now
	t.mu.Unlock()
	info := map[string]any{
		"Schedule":  map[string]any{"AdjustForDST": true},
		"IsPastDue": false,
	}
	if t.monitor {
		lastStr := "0001-01-01T00:00:00"
		if !last.IsZero() {
			lastStr = last.Format("2006-01-02T15:04:05.9999999-07:00")
		}
		info["ScheduleStatus"] = map[string]any{
			"Last":        lastStr,
			"Next":        t.sched.Next(now).Format("2006-01-02T15:04:05-07:00"),
			"LastUpdated": now.Format("2006-01-02T15:04:05.9999999-07:00"),
		}
	} else {
		info["ScheduleStatus"] = nil
	}
	return json.Marshal(map[string]any{
		"Data": map[string]any{t.binding: info},
		"Metadata": map[string]any{"sys": map[string]any{
			"MethodName": t.fn.Name,
			"UtcNow":     now.Format("2006-01-02T15:04:05.9999999Z"),
			"RandGuid":   newInvocationID(),
		}},
	})
}

// invokeTimer sends one timer invocation and logs its result.
func (h *Host) invokeTimer(ctx context.Context, t *timer, reason string) error {
	id := newInvocationID()
	log := h.log.With().Str("function", t.fn.Name).Str("invocation_id", id).Logger()
	log.Info().Str("reason", reason).Msg("Executing")
	start := time.Now()
	err := h.invoke(ctx, t, id)
	ev := log.Info().Str("result", "Succeeded")
	if err != nil {
		ev = log.Error().Str("result", "Failed").Err(err)
	}
	ev.Int64("duration_ms", time.Since(start).Milliseconds()).Msg("Executed")
	return err
}

func (h *Host) invoke(ctx context.Context, t *timer, id string) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	body, err := t.payload(time.Now().UTC())
	if err != nil {
		return err
	}
	base, err := h.worker.baseURL(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+t.fn.Name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", id)
	req.Header.Set("X-Azure-Functions-HostVersion", HostVersion)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+HostVersion)
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("invoke custom handler: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read handler reply: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("handler answered %d (the invocation fails; its Logs are discarded)", resp.StatusCode)
	}
	var reply struct {
		Outputs     map[string]json.RawMessage `json:"Outputs"`
		Logs        []string                   `json:"Logs"`
		ReturnValue json.RawMessage            `json:"ReturnValue"`
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return fmt.Errorf("handler answered %d with an empty or null body; the Functions host would wait for a result until functionTimeout", resp.StatusCode)
	}
	if err := json.Unmarshal(trimmed, &reply); err != nil {
		return fmt.Errorf("invalid HttpResponseMessage from the handler: %w", err)
	}
	for _, line := range reply.Logs {
		h.log.Info().Str("function", t.fn.Name).Str("invocation_id", id).Msg(line)
	}
	return nil
}

// adminInvoke serves POST /admin/functions/<name> {"input": "..."}: it
// needs the master key, answers 202 at once and runs the function in the
// background, as the host does.
func (h *Host) adminInvoke(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !equal(r.Header.Get("x-functions-key"), h.opts.MasterKey) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var t *timer
	for _, tm := range h.timers {
		if tm.fn.Name == name {
			t = tm
		}
	}
	if t == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var body struct {
		Input *string `json:"input"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Input == nil {
		http.Error(w, `{"error":"body must be {\"input\": \"...\"}"}`, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	go h.invokeTimer(context.WithoutCancel(r.Context()), t, "This function was programmatically called via the host APIs.")
}
