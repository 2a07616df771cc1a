package funcapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func newTestApp(t *testing.T, logs *bytes.Buffer, timerErr error) (*App, *atomic.Int32, *TimerInfo) {
	t.Helper()
	a := New(zerolog.New(logs))
	var calls atomic.Int32
	var got TimerInfo
	a.Timer("KeyVaultSecretRotation", func(ctx context.Context, log zerolog.Logger, info TimerInfo) error {
		calls.Add(1)
		got = info
		log.Info().Msg("rotation ran")
		return timerErr
	})
	a.HTTP("Echo", "/api/echo", []string{http.MethodPost}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			WriteError(w, http.StatusRequestEntityTooLarge, "body too large", err.Error())
			return
		}
		WriteJSON(w, http.StatusCreated, map[string]string{"path": r.URL.Path, "query": r.URL.RawQuery, "body": string(b)})
	}))
	a.HTTP("Panics", "/api/panic", []string{http.MethodGet}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	return a, &calls, &got
}

func decodeInvoke(t *testing.T, rr *httptest.ResponseRecorder) InvokeResponse {
	t.Helper()
	if ct := rr.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rr.Body.Bytes(), &raw); err != nil {
		t.Fatalf("reply is not a JSON object: %q", rr.Body.String())
	}
	for _, k := range []string{"Outputs", "Logs", "ReturnValue"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("reply lacks %s: %s", k, rr.Body.String())
		}
	}
	if string(raw["Outputs"]) != "{}" {
		t.Errorf("Outputs = %s, want {}", raw["Outputs"])
	}
	if string(raw["Logs"]) == "null" {
		t.Errorf("Logs must be an array, got null")
	}
	var resp InvokeResponse
	json.Unmarshal(rr.Body.Bytes(), &resp)
	return resp
}

func TestTimerInvocation(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		body       string
		timerErr   error
		wantStatus int
		wantCalls  int32
		wantLog    string
	}{
		{name: "host payload", file: "timer.json", wantStatus: 200, wantCalls: 1, wantLog: "info: rotation ran"},
		{name: "no monitor, offset-less time, unknown fields", file: "timer_nomonitor.json", wantStatus: 200, wantCalls: 1},
		{name: "failed run", file: "timer.json", timerErr: errors.New("vault said no"), wantStatus: 500, wantCalls: 1, wantLog: "vault said no"},
		{name: "malformed JSON", body: `{"Data":`, wantStatus: 400, wantLog: "not the host's JSON"},
		{name: "null body", body: `null`, wantStatus: 400},
		{name: "empty body", body: ``, wantStatus: 400},
		{name: "two bindings", body: `{"Data":{"a":{},"b":{}}}`, wantStatus: 400, wantLog: "exactly 1"},
		{name: "bad timestamp", body: `{"Data":{"t":{"ScheduleStatus":{"Last":"yesterday"}}}}`, wantStatus: 400, wantLog: "unrecognised timestamp"},
		{name: "huge body", body: `{"Data":{"t":{"x":"` + strings.Repeat("a", DefaultMaxBody) + `"}}}`, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a, calls, _ := newTestApp(t, &logs, tt.timerErr)
			body := []byte(tt.body)
			if tt.file != "" {
				var err error
				if body, err = os.ReadFile("testdata/" + tt.file); err != nil {
					t.Fatal(err)
				}
			}
			req := httptest.NewRequest(http.MethodPost, "/KeyVaultSecretRotation", bytes.NewReader(body))
			req.Header.Set(InvocationIDHeader, "inv-42")
			rr := httptest.NewRecorder()
			a.Handler().ServeHTTP(rr, req)
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rr.Code, tt.wantStatus, rr.Body.String())
			}
			resp := decodeInvoke(t, rr)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("timer ran %d times, want %d", got, tt.wantCalls)
			}
			if tt.wantLog != "" && !strings.Contains(strings.Join(resp.Logs, "\n"), tt.wantLog) {
				t.Errorf("Logs = %q, want one containing %q", resp.Logs, tt.wantLog)
			}
			if !strings.Contains(logs.String(), `"invocation_id":"inv-42"`) {
				t.Errorf("log lines lack the invocation id: %s", logs.String())
			}
		})
	}
}

func TestTimerPayloadFields(t *testing.T) {
	body, _ := os.ReadFile("testdata/timer.json")
	_, info, err := DecodeTimer(body)
	if err != nil {
		t.Fatal(err)
	}
	if info.ScheduleStatus == nil || !info.ScheduleStatus.Last.IsZero() {
		t.Fatalf("Last = %v, want zero time for 0001-01-01T00:00:00", info.ScheduleStatus)
	}
	want := time.Date(2024, 11, 30, 14, 45, 51, 0, time.UTC)
	if !info.ScheduleStatus.Next.Equal(want) {
		t.Errorf("Next = %v, want %v", info.ScheduleStatus.Next, want)
	}
	if info.Schedule == nil || !info.Schedule.AdjustForDST {
		t.Errorf("Schedule = %+v", info.Schedule)
	}
	body, _ = os.ReadFile("testdata/timer_nomonitor.json")
	req, info, err := DecodeTimer(body)
	if err != nil {
		t.Fatal(err)
	}
	if info.ScheduleStatus != nil || !info.IsPastDue {
		t.Errorf("info = %+v", info)
	}
	if got := req.Metadata.Sys.UtcNow.Time; got.Nanosecond() != 462390100 {
		t.Errorf("UtcNow = %v, want 7 fractional digits kept", got)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-11-30T14:45:51+00:00", time.Date(2024, 11, 30, 14, 45, 51, 0, time.UTC)},
		{"2024-11-30T14:45:51+02:00", time.Date(2024, 11, 30, 12, 45, 51, 0, time.UTC)},
		{"2024-11-30T14:43:50.46239Z", time.Date(2024, 11, 30, 14, 43, 50, 462390000, time.UTC)},
		{"2024-11-30T14:43:50.1234567", time.Date(2024, 11, 30, 14, 43, 50, 123456700, time.UTC)},
		{"0001-01-01T00:00:00", time.Time{}},
		{"11/30/2024 2:45:51 PM", time.Date(2024, 11, 30, 14, 45, 51, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if _, err := ParseTime("soon"); err == nil {
		t.Error("ParseTime accepted garbage")
	}
}

func TestHTTPRoutes(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"readiness", "GET", "/", "", 200, `"ready"`},
		{"forwarded", "POST", "/api/echo?x=1", `{"a":1}`, 201, `"query":"x=1"`},
		{"wrong method", "GET", "/api/echo", "", 405, `"error":"method not allowed"`},
		{"unknown route", "GET", "/api/nothing", "", 404, `"error":"not found"`},
		{"unknown function", "POST", "/NoSuchFunction", "{}", 404, `"error":"not found"`},
		{"panic", "GET", "/api/panic", "", 500, `"error":"internal error"`},
		{"body too large", "POST", "/api/echo", strings.Repeat("x", DefaultMaxBody+1), 413, `"error":"body too large"`},
		{"timer GET", "GET", "/KeyVaultSecretRotation", "", 405, `"Logs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a, _, _ := newTestApp(t, &logs, nil)
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			rr := httptest.NewRecorder()
			a.Handler().ServeHTTP(rr, req)
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", rr.Code, tt.wantStatus, rr.Body.String())
			}
			if !strings.Contains(rr.Body.String(), tt.wantInBody) {
				t.Errorf("body = %s, want it to contain %s", rr.Body.String(), tt.wantInBody)
			}
			if ct := rr.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	a := New(zerolog.Nop())
	started := make(chan struct{})
	a.HTTP("Slow", "/api/slow", []string{"GET"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		WriteJSON(w, 200, map[string]bool{"done": true})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, a.Handler(), zerolog.Nop()) }()
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/api/slow")
		if err != nil {
			t.Error(err)
			respc <- nil
			return
		}
		respc <- resp
	}()
	<-started
	cancel()
	resp := <-respc
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("in-flight request was not completed during shutdown: %v", resp)
	}
	resp.Body.Close()
	if err := <-done; err != nil {
		t.Fatalf("ServeListener = %v", err)
	}
}

func FuzzDecodeTimer(f *testing.F) {
	for _, name := range []string{"timer.json", "timer_nomonitor.json", "http_req.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Data":{"t":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, info, err := DecodeTimer(b)
		if err != nil {
			return
		}
		if info.ScheduleStatus != nil {
			_ = info.ScheduleStatus.Next.UTC()
		}
	})
}
