package main

import (
	"context"
	"net/http"
	"time"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// healthTimeout bounds the Key Vault read of a health check.
const healthTimeout = 10 * time.Second

// healthReport is the body of GET /api/health.
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
}

// tokenReport describes the stored JFrog token from the secret's
// attributes, never its value.
type tokenReport struct {
	rotation.TokenStatus
	AgeSeconds   int64      `json:"age_seconds"`
	NextRotation *time.Time `json:"next_rotation,omitempty"`
}

// health reports the configuration of each function and the stored token's
// version, expiry and age. It answers 200 when the rotation can run and the
// token outlives the next scheduled rotation, 503 otherwise. Settings of
// the job functions are reported without failing the check.
func (h *handlers) health(w http.ResponseWriter, r *http.Request) {
	rep := healthReport{
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
	if rep.Problems == nil {
		rep.Problems = []config.Problem{}
	}
	rep.Warnings = configWarnings(h.cfg)
	if ps := h.cfg.Problems(config.GroupRuntime, config.GroupRotation, config.GroupStorage); len(ps) > 0 {
		rep.Reasons = append(rep.Reasons, "rotation settings: "+joinProblems(ps))
	}
	switch {
	case h.rotation != nil:
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		st, err := h.rotation.Status(ctx)
		if err != nil {
			rep.Reasons = append(rep.Reasons, "stored token: "+err.Error())
			break
		}
		tr := &tokenReport{TokenStatus: st, AgeSeconds: int64(st.Age.Seconds())}
		rep.Token = tr
		if next, err := rotation.NextRun(h.cfg.Rotation.Schedule, rep.Time); err == nil {
			tr.NextRotation = &next
			if st.ExpiresBefore(next) && !st.Expired {
				rep.Reasons = append(rep.Reasons, "stored token expires at "+st.ExpiresOn.Format(time.RFC3339)+", before the next scheduled rotation at "+next.Format(time.RFC3339)+": run POST /api/KeyVaultSecretRotation?force=true and check ROTATION_SCHEDULE against SECRET_TTL")
			}
		}
		if st.Expired {
			rep.Reasons = append(rep.Reasons, "stored token expired at "+st.ExpiresOn.Format(time.RFC3339)+": run POST /api/KeyVaultSecretRotation?force=true")
		}
	case h.rotationErr != nil:
		rep.Reasons = append(rep.Reasons, "rotation unavailable: "+h.rotationErr.Error())
	}
	if why := h.callers.refusal(); why != "" {
		rep.Reasons = append(rep.Reasons, "HTTP functions refuse every caller: "+why)
	}
	for i, r := range rep.Reasons {
		rep.Reasons[i] = redact.String(r)
	}
	status := http.StatusOK
	if len(rep.Reasons) > 0 {
		rep.Status = "unhealthy"
		status = http.StatusServiceUnavailable
	}
	funcapp.WriteJSON(w, status, rep)
}
