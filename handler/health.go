package main

import (
	"net/http"
	"time"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcapp"
)

// healthReport is the body of GET /api/health.
type healthReport struct {
	Status    string           `json:"status"`
	Version   string           `json:"version"`
	Time      time.Time        `json:"time"`
	Functions map[string]bool  `json:"functions_configured"`
	Problems  []config.Problem `json:"config_problems"`
}

// health reports whether each function has its settings. It answers 200
// when every function can run and 503 otherwise.
func (h *handlers) health(w http.ResponseWriter, r *http.Request) {
	rep := healthReport{
		Status:   "ok",
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
	status := http.StatusOK
	if len(rep.Problems) > 0 {
		rep.Status = "degraded"
		status = http.StatusServiceUnavailable
	}
	funcapp.WriteJSON(w, status, rep)
}
