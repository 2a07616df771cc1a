package main

import (
	"net/http"

	"github.com/frogbridge/frogbridge/internal/funcapp"
)

const jobsNotImplemented = "AzureML job functions are not available in this build"

func (h *handlers) submitTraining(w http.ResponseWriter, r *http.Request) {
	funcapp.WriteError(w, http.StatusNotImplemented, "not implemented", jobsNotImplemented)
}

func (h *handlers) submitDeployment(w http.ResponseWriter, r *http.Request) {
	funcapp.WriteError(w, http.StatusNotImplemented, "not implemented", jobsNotImplemented)
}

func (h *handlers) getJob(w http.ResponseWriter, r *http.Request) {
	funcapp.WriteError(w, http.StatusNotImplemented, "not implemented", jobsNotImplemented)
}
