// Package funchost is the local Azure Functions host: it runs a packaged
// custom-handler function app the way the real host does — starts and
// supervises the handler, forwards HTTP requests to it with key
// authorization, fires timers on their NCRONTAB schedules, and serves the
// admin endpoint that runs a non-HTTP function on demand — so the suite can
// be exercised end to end without Azure.
package funchost

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/funcpkg"
)

// HostVersion is the Functions host version this host reports in
// X-Azure-Functions-HostVersion.
const HostVersion = "4.1037.0.0-frogbridge-devstack"

// Options configures a Host.
type Options struct {
	// App is the loaded function app.
	App *funcpkg.App
	// Addr is the listen address, e.g. "127.0.0.1:7071" (":0" picks a port).
	Addr string
	// Settings are the app settings: with a few variables of the host's
	// own process (see workerEnv) they are the handler's whole environment,
	// and they resolve %NAME% expressions.
	Settings map[string]string
	// MasterKey authorizes admin calls and every function; FunctionKey
	// (the host's default key) authorizes function-level calls.
	MasterKey, FunctionKey string
	// Logger receives the host's own log lines.
	Logger zerolog.Logger
	// Stdout and Stderr receive the handler's output.
	Stdout, Stderr io.Writer
}

// Host is a running local Functions host.
type Host struct {
	opts    Options
	app     *funcpkg.App
	worker  *worker
	routes  []route
	timers  []*timer
	timeout time.Duration
	ln      net.Listener
	client  *http.Client
	log     zerolog.Logger
}

type route struct {
	fn      funcpkg.Function
	tmpl    funcpkg.Route
	methods []string
	auth    string
}

// New validates the app against the settings and prepares a Host.
func New(o Options) (*Host, error) {
	if o.App == nil {
		return nil, errors.New("funchost: no function app")
	}
	if o.MasterKey == "" || o.FunctionKey == "" {
		return nil, errors.New("funchost: FUNCTIONS_MASTER_KEY and FUNCTIONS_DEFAULT_KEY are required")
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	h := &Host{opts: o, app: o.App, log: o.Logger, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	h.timeout = 30 * time.Minute
	if t := o.App.Host.FunctionTimeout; t != "" {
		d, err := parseTimeSpan(t)
		if err != nil {
			return nil, fmt.Errorf("host.json functionTimeout: %w", err)
		}
		h.timeout = d
	}
	for _, fn := range o.App.Functions {
		tr := fn.Trigger()
		switch tr.Type {
		case "httpTrigger":
			r, err := funcpkg.ParseRoute(tr.Route)
			if err != nil {
				return nil, fmt.Errorf("function %s: %w", fn.Name, err)
			}
			h.routes = append(h.routes, route{fn: fn, tmpl: r, methods: tr.Methods, auth: tr.AuthLevel})
		case "timerTrigger":
			expr, err := resolve(tr.Schedule, o.Settings)
			if err != nil {
				return nil, fmt.Errorf("function %s schedule: %w", fn.Name, err)
			}
			sched, err := parseSchedule(expr)
			if err != nil {
				return nil, fmt.Errorf("function %s schedule %q: %w", fn.Name, expr, err)
			}
			h.timers = append(h.timers, &timer{fn: fn, binding: tr.Name, expr: expr, sched: sched, monitor: tr.UseMonitor == nil || *tr.UseMonitor})
		}
	}
	env := workerEnv(os.Environ(), o.Settings)
	desc := o.App.Host.CustomHandler.Description
	dir := o.App.Dir
	if desc.WorkingDirectory != "" {
		dir = desc.WorkingDirectory
	}
	h.worker = &worker{
		exe: executablePath(o.App.Dir, desc.DefaultExecutablePath), dir: dir, env: env,
		log: o.Logger, out: o.Stdout, errw: o.Stderr, ready: make(chan struct{}),
	}
	return h, nil
}

// Listen binds the host's address. Run calls it when it has not been
// called.
func (h *Host) Listen() error {
	if h.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", h.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", h.opts.Addr, err)
	}
	h.ln = ln
	return nil
}

// URL returns the host's base URL once listening.
func (h *Host) URL() string { return "http://" + h.ln.Addr().String() }

// Run starts the handler, waits for it to be ready, then serves requests
// and fires timers until ctx ends or the handler fails for good.
func (h *Host) Run(ctx context.Context) error {
	if err := h.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan error, 1)
	werr := make(chan error, 1)
	go func() { werr <- h.worker.run(ctx, started) }()
	if err := <-started; err != nil {
		h.ln.Close()
		return err
	}
	for _, t := range h.timers {
		go h.runTimer(ctx, t)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	serr := make(chan error, 1)
	go func() { serr <- srv.Serve(h.ln) }()
	h.log.Info().Str("url", h.URL()).Strs("functions", h.functionNames()).Msg("host started")
	var err error
	select {
	case <-ctx.Done():
	case err = <-werr:
	case err = <-serr:
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	cancel()
	if err == nil {
		err = <-werr
	}
	return err
}

func (h *Host) functionNames() []string {
	var out []string
	for _, f := range h.app.Functions {
		out = append(out, f.Name)
	}
	return out
}

// ServeHTTP routes /admin/functions/<name> and /<prefix>/<route>.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, "/admin/functions/"); ok {
		h.adminInvoke(w, r, name)
		return
	}
	prefix := "/" + h.app.Host.RoutePrefix()
	rest, ok := strings.CutPrefix(r.URL.Path, prefix+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	methodMismatch := false
	for _, rt := range h.routes {
		if _, ok := rt.tmpl.Match(rest); !ok {
			continue
		}
		if len(rt.methods) > 0 && !contains(rt.methods, r.Method) {
			methodMismatch = true
			continue
		}
		if !h.authorized(r, rt.auth) {
			w.WriteHeader(http.StatusUnauthorized)
			h.log.Info().Str("function", rt.fn.Name).Int("status", 401).Msg("request without a valid key")
			return
		}
		h.forward(w, r, rt.fn)
		return
	}
	if methodMismatch {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	http.NotFound(w, r)
}

// authorized checks a key from the x-functions-key header or the code query
// parameter against the level.
func (h *Host) authorized(r *http.Request, level string) bool {
	if level == "anonymous" {
		return true
	}
	key := r.Header.Get("x-functions-key")
	if key == "" {
		key = r.URL.Query().Get("code")
	}
	if key == "" {
		return false
	}
	if equal(key, h.opts.MasterKey) {
		return true
	}
	return level == "function" && equal(key, h.opts.FunctionKey)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// forward sends the raw request to the handler at the same path and query,
// with the host's headers, and copies the answer back verbatim.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn funcpkg.Function) {
	id := newInvocationID()
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	base, err := h.worker.baseURL(ctx)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	var body io.Reader
	if r.ContentLength > 0 {
		body = r.Body
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, base+r.URL.EscapedPath(), body)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	out.URL.RawQuery = r.URL.RawQuery
	out.Header = r.Header.Clone()
	out.ContentLength = r.ContentLength
	out.Header.Set("X-Azure-Functions-HostVersion", HostVersion)
	out.Header.Set("X-Azure-Functions-InvocationId", id)
	out.Header.Set("User-Agent", strings.TrimSpace(r.UserAgent()+" Azure-Functions-Host/"+HostVersion))
	resp, err := h.client.Do(out)
	if err != nil {
		h.log.Error().Str("function", fn.Name).Str("invocation_id", id).Err(err).Msg("Executed (Failed)")
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
	h.log.Info().Str("function", fn.Name).Str("invocation_id", id).Int("status", resp.StatusCode).
		Int64("duration_ms", time.Since(start).Milliseconds()).Msg("Executed (Succeeded)")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var settingRef = regexp.MustCompile(`%([A-Za-z0-9_]+)%`)

// resolve replaces %NAME% with the app setting NAME; an unknown name is an
// error, as the host refuses to index such a function.
func resolve(s string, settings map[string]string) (string, error) {
	var missing []string
	out := settingRef.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := settings[name]
		if !ok {
			v, ok = os.LookupEnv(name)
		}
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("app setting %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// parseTimeSpan parses host.json's [d.]hh:mm:ss timespans.
func parseTimeSpan(s string) (time.Duration, error) {
	if s == "-1" {
		return 24 * time.Hour * 365, nil
	}
	var days int
	rest := s
	if d, r, ok := strings.Cut(s, "."); ok && !strings.Contains(d, ":") {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("%q is not a timespan", s)
		}
		days, rest = n, r
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("%q is not a timespan like 00:10:00", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not a timespan like 00:10:00", s)
		}
		n[i] = v
	}
	return time.Duration(days)*24*time.Hour + time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, nil
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newInvocationID returns a random GUID-formatted id.
func newInvocationID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// NewKey returns a random key for FUNCTIONS_MASTER_KEY or
// FUNCTIONS_DEFAULT_KEY.
func NewKey() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// platformVars are the variables of the host's own process that reach the
// handler: what any Linux worker has, whatever the app settings are. On
// Azure the handler's environment is the app settings plus variables the
// platform sets (FUNCTIONS_*, WEBSITE_*, IDENTITY_ENDPOINT, ...); nothing
// else of the host's process reaches it, so neither does anything here.
var platformVars = []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "USER"}

// workerEnv builds the handler's environment from the host's environment
// (only platformVars) and the app settings. The host's keys are not app
// settings the handler may read.
func workerEnv(hostEnv []string, settings map[string]string) []string {
	var env []string
	for _, kv := range hostEnv {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(platformVars, name) {
			if _, set := settings[name]; !set {
				env = append(env, kv)
			}
		}
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		if k != "FUNCTIONS_MASTER_KEY" && k != "FUNCTIONS_DEFAULT_KEY" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		env = append(env, k+"="+settings[k])
	}
	return env
}
