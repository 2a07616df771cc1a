package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

const (
	// healthTimeout bounds the Key Vault read of a health check.
	healthTimeout = 10 * time.Second
	// healthCacheTTL is how long one read of the stored token's attributes
	// answers health checks: a flood of the anonymous endpoint costs the
	// vault (whose throttling budget the rotation and the jobs share) at
	// most one read per instance per period.
	healthCacheTTL = 45 * time.Second
)

// publicHealth is the body of the anonymous GET /api/health: the status
// and the reasons, nothing about the stored token but whether it is usable
// and when it expires.
type publicHealth struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
}

// healthReport is the body of GET /api/health/details (function key).
type healthReport struct {
	Status    string           `json:"status"`
	Reasons   []string         `json:"reasons"`
	Version   string           `json:"version"`
	Time      time.Time        `json:"time"`
	Functions map[string]bool  `json:"functions_configured"`
	Problems  []config.Problem `json:"config_problems"`
	// Warnings name settings that work but do not do what they say; they
	// do not fail the check.
	Warnings []string     `json:"warnings"`
	Token    *tokenReport `json:"token,omitempty"`
	// RegistryConnection is the last refresh of the AzureML registry
	// connection by a rotation of this instance; a failed one makes the
	// status "degraded" (still 200: the rotation works, jobs may pull with
	// the previous token until the next rotation retries).
	RegistryConnection *connectionReport `json:"registry_connection,omitempty"`
	// Degraded lists what works only in part; it does not fail the check.
	Degraded []string `json:"degraded"`
	// TokenError is why the stored token's attributes could not be read.
	TokenError string `json:"token_error,omitempty"`
	// CheckedAt is when the token's attributes were read (they are cached
	// for healthCacheTTL).
	CheckedAt *time.Time `json:"token_checked_at,omitempty"`
}

// tokenReport describes the stored JFrog token from the secret's
// attributes, never its value.
type tokenReport struct {
	rotation.TokenStatus
	AgeSeconds   int64      `json:"age_seconds"`
	NextRotation *time.Time `json:"next_rotation,omitempty"`
}

// statusCache holds the last read of the stored token's attributes. One
// read runs at a time; callers arriving meanwhile wait for it and share
// its result, errors included.
type statusCache struct {
	ttl time.Duration
	now func() time.Time

	mu  sync.Mutex
	at  time.Time
	st  rotation.TokenStatus
	err error
}

// get returns the cached status, reading it with read when older than ttl.
// The read runs under its own deadline, so a caller that goes away does
// not fail it for the others.
func (c *statusCache) get(ctx context.Context, read func(context.Context) (rotation.TokenStatus, error)) (rotation.TokenStatus, error, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && c.now().Sub(c.at) < c.ttl {
		return c.st, c.err, c.at
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthTimeout)
	defer cancel()
	c.st, c.err = read(rctx)
	c.at = c.now()
	return c.st, c.err, c.at
}

// invalidate drops the cached status, so the next check reads the version
// a rotation in this process just stored (one on another instance shows
// within ttl).
func (c *statusCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// report builds the health report; public holds the reasons an anonymous
// caller may read (no error text, no client detail).
func (h *handlers) report(ctx context.Context) (rep healthReport, public []string) {
	rep = healthReport{
		Status:   "ok",
		Reasons:  []string{},
		Version:  buildinfo.Version,
		Time:     time.Now().UTC(),
		Problems: h.cfg.Problems(),
		Functions: map[string]bool{
			"KeyVaultSecretRotation": len(h.cfg.Problems(rotationGroups...)) == 0,
			"SubmitTrainingJob":      len(h.cfg.Problems(jobGroups...)) == 0,
		},
	}
	public = []string{}
	both := func(reason string) {
		rep.Reasons = append(rep.Reasons, reason)
		public = append(public, reason)
	}
	if rep.Problems == nil {
		rep.Problems = []config.Problem{}
	}
	rep.Warnings = configWarnings(h.cfg)
	if ps := h.cfg.Problems(config.GroupRuntime, config.GroupRotation, config.GroupStorage); len(ps) > 0 {
		// Problems name the setting and the fault, never the value.
		both("rotation settings: " + joinProblems(ps))
	}
	switch {
	case h.rotation != nil:
		st, err, at := h.statuses.get(ctx, h.rotation.Status)
		rep.CheckedAt = &at
		if err != nil {
			rep.TokenError = redact.Error(err)
			rep.Reasons = append(rep.Reasons, "stored token: "+rep.TokenError)
			public = append(public, "stored token: cannot read its attributes from Key Vault (details: GET /api/health/details with a function key)")
			break
		}
		// The status may come from the cache: age and expiry are as of now.
		st.Age = 0
		if st.Created != nil {
			st.Age = rep.Time.Sub(*st.Created)
		}
		st.Expired = st.ExpiresOn != nil && !rep.Time.Before(*st.ExpiresOn)
		tr := &tokenReport{TokenStatus: st, AgeSeconds: int64(st.Age.Seconds())}
		rep.Token = tr
		if next, err := rotation.NextRun(h.cfg.Rotation.Schedule, rep.Time); err == nil {
			tr.NextRotation = &next
			if st.ExpiresBefore(next) && !st.Expired {
				both("stored token expires at " + st.ExpiresOn.Format(time.RFC3339) + ", before the next scheduled rotation at " + next.Format(time.RFC3339) + ": run POST /api/KeyVaultSecretRotation?force=true and check ROTATION_SCHEDULE against SECRET_TTL")
			}
		}
		if st.Expired {
			both("stored token expired at " + st.ExpiresOn.Format(time.RFC3339) + ": run POST /api/KeyVaultSecretRotation?force=true")
		}
	case h.rotationErr != nil:
		rep.Reasons = append(rep.Reasons, "rotation unavailable: "+h.rotationErr.Error())
		public = append(public, "rotation unavailable: a client could not be built (details: GET /api/health/details with a function key)")
	}
	if why := h.callers.refusal(); why != "" {
		rep.Reasons = append(rep.Reasons, "HTTP functions refuse every caller: "+why)
		public = append(public, "HTTP functions refuse every caller: caller authentication is misconfigured (AUTH_MODE against the package's authLevels, or an AUTH_* setting); the handler's start-up log and every refused call say how to fix it")
	}
	for i, r := range rep.Reasons {
		rep.Reasons[i] = redact.String(r)
	}
	rep.Degraded = []string{}
	if c := h.conn.report(); c != nil {
		rep.RegistryConnection = c
		if !c.Updated {
			rep.Degraded = append(rep.Degraded, "AzureML registry connection "+c.Name+" was not refreshed by the last rotation: "+c.Error+"; the next rotation retries (POST /api/KeyVaultSecretRotation)")
		}
	}
	if len(rep.Degraded) > 0 {
		rep.Status = "degraded"
	}
	if len(rep.Reasons) > 0 {
		rep.Status = "unhealthy"
	}
	return rep, public
}

// healthStatus is 200 for "ok" and "degraded" (the rotation works; a
// registry connection refresh is pending), 503 otherwise.
func healthStatus(rep healthReport) int {
	if rep.Status != "ok" && rep.Status != "degraded" {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// health serves the anonymous GET /api/health: 200 when the rotation can
// run and the stored token outlives the next scheduled rotation, 503
// otherwise, with the reasons only. Settings of the job functions are
// reported by the details without failing the check.
func (h *handlers) health(w http.ResponseWriter, r *http.Request) {
	rep, public := h.report(r.Context())
	funcapp.WriteJSON(w, healthStatus(rep), publicHealth{Status: rep.Status, Reasons: public})
}

// healthDetails serves GET /api/health/details (function key): the same
// check with each function's configuration, the setting problems and
// warnings, the stored token's version, user, id, expiry and age from its
// attributes (never its value), and the error text when they could not be
// read.
func (h *handlers) healthDetails(w http.ResponseWriter, r *http.Request) {
	rep, _ := h.report(r.Context())
	funcapp.WriteJSON(w, healthStatus(rep), rep)
}
