// Package funcapp is the Azure Functions custom-handler runtime: it serves
// the host's readiness ping (GET /), forwarded HTTP functions at
// /api/<route> as ordinary net/http handlers, and non-HTTP functions (timers)
// through the JSON invocation protocol at POST /<FunctionName>, always
// answering those with a well-formed {"Outputs","Logs","ReturnValue"} body.
package funcapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/frogbridge/frogbridge/internal/redact"
)

// InvocationIDHeader carries the host's invocation id on every call.
const InvocationIDHeader = "X-Azure-Functions-InvocationId"

// DefaultMaxBody bounds request bodies (invocation payloads and forwarded
// HTTP requests) unless a route sets its own limit.
const DefaultMaxBody = 1 << 20

// TimerFunc runs one timer invocation. Lines logged through log are also
// returned to the host in the reply's Logs. A returned error fails the
// invocation.
type TimerFunc func(ctx context.Context, log zerolog.Logger, info TimerInfo) error

// App routes the host's calls to the suite's functions. Register functions
// before calling Handler; an App is safe for concurrent requests after that.
type App struct {
	log    zerolog.Logger
	mux    *http.ServeMux
	routes []string
}

// New returns an App that logs through log.
func New(log zerolog.Logger) *App {
	a := &App{log: log, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not found",
			fmt.Sprintf("no function serves %s %s", r.Method, r.URL.Path))
	})
	return a
}

// HTTP registers a forwarded HTTP function. pattern is a net/http path
// pattern under /api (e.g. "/api/jobs/{name}"); methods lists the allowed
// methods (others get 405 JSON).
func (a *App) HTTP(name, pattern string, methods []string, h http.Handler) {
	allowed := strings.Join(methods, ", ")
	a.routes = append(a.routes, name)
	a.mux.Handle(pattern, a.wrap(name, func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				r.Body = http.MaxBytesReader(w, r.Body, DefaultMaxBody)
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", allowed)
		WriteError(w, http.StatusMethodNotAllowed, "method not allowed",
			fmt.Sprintf("%s accepts %s", r.URL.Path, allowed))
	}))
}

// Timer registers a timer function, invoked by the host at POST /<name>.
func (a *App) Timer(name string, fn TimerFunc) {
	a.routes = append(a.routes, name)
	a.mux.Handle("/"+name, a.wrap(name, func(w http.ResponseWriter, r *http.Request) {
		a.serveTimer(w, r, fn)
	}))
}

// Functions returns the names of the registered functions.
func (a *App) Functions() []string { return append([]string(nil), a.routes...) }

// Handler returns the http.Handler that serves every registered function.
func (a *App) Handler() http.Handler { return a.mux }

func (a *App) serveTimer(w http.ResponseWriter, r *http.Request, fn TimerFunc) {
	logs := &logCollector{}
	log := logging.FromContext(r.Context()).Hook(logs)
	reply := func(status int, err error) {
		resp := InvokeResponse{Outputs: map[string]any{}, Logs: logs.lines(), ReturnValue: nil}
		if resp.Logs == nil {
			resp.Logs = []string{}
		}
		if err != nil {
			resp.Logs = append(resp.Logs, redact.String("error: "+err.Error()))
		}
		WriteJSON(w, status, resp)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(http.StatusMethodNotAllowed, errors.New("invocations are POSTed by the Functions host"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultMaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(http.StatusRequestEntityTooLarge, fmt.Errorf("invocation payload larger than %d bytes", tooBig.Limit))
			return
		}
		reply(http.StatusBadRequest, fmt.Errorf("read invocation payload: %w", err))
		return
	}
	_, info, err := DecodeTimer(body)
	if err != nil {
		log.Error().Err(err).Msg("rejected timer invocation")
		reply(http.StatusBadRequest, err)
		return
	}
	if err := fn(r.Context(), log, info); err != nil {
		log.Error().Err(err).Msg("timer invocation failed")
		reply(http.StatusInternalServerError, err)
		return
	}
	reply(http.StatusOK, nil)
}

// wrap adds the per-invocation logger, panic recovery and an access log.
func (a *App) wrap(name string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(InvocationIDHeader)
		log := a.log.With().Str(logging.FieldFunction, name).Logger()
		if id != "" {
			log = log.With().Str(logging.FieldInvocationID, id).Logger()
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		ctx := logging.WithLogger(r.Context(), log)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error().Str("panic", fmt.Sprint(p)).Msg("function panicked")
				if !rec.wrote {
					WriteError(rec, http.StatusInternalServerError, "internal error", "the function failed unexpectedly; see the handler's log for invocation "+id)
				}
			}
			log.Info().Str("method", r.Method).Str("path", r.URL.Path).
				Int(logging.FieldStatus, rec.status).
				Int64(logging.FieldDuration, time.Since(start).Milliseconds()).Msg("invocation done")
		}()
		next(rec, r.WithContext(ctx))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logCollector is a zerolog hook that keeps the messages of one invocation
// for the reply's Logs.
type logCollector struct {
	mu  sync.Mutex
	buf []string
}

// Run implements zerolog.Hook.
func (c *logCollector) Run(_ *zerolog.Event, level zerolog.Level, msg string) {
	if msg == "" {
		return
	}
	c.mu.Lock()
	c.buf = append(c.buf, redact.String(level.String()+": "+msg))
	c.mu.Unlock()
}

func (c *logCollector) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.buf...)
}
