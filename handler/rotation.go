package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcapp"
)

var errNotImplemented = errors.New("rotation is not available in this build")

// rotationTimer runs the scheduled rotation.
func (h *handlers) rotationTimer(ctx context.Context, log zerolog.Logger, info funcapp.TimerInfo) error {
	if ps := h.cfg.Problems(rotationGroups...); len(ps) > 0 {
		return errors.New("fix these app settings: " + joinProblems(ps))
	}
	return errNotImplemented
}

// rotationHTTP runs a rotation on request.
func (h *handlers) rotationHTTP(w http.ResponseWriter, r *http.Request) {
	funcapp.WriteError(w, http.StatusNotImplemented, "not implemented", errNotImplemented.Error())
}

var _ = config.GroupRotation
