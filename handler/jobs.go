package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/jobs"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/logging"
)

// newJobs builds the job service from the app settings.
func newJobs(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store) (*jobs.Service, error) {
	j := cfg.Jobs
	opts := &azureml.ClientOptions{SettingNames: azuremlSettings}
	opts.Cloud = j.Cloud
	ws, err := azureml.NewClient(azureml.Workspace{SubscriptionID: j.SubscriptionID, ResourceGroup: j.ResourceGroup, Name: j.Workspace}, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("AzureML workspace: %w", err)
	}
	jc := jobs.Config{Jobs: j, VaultURL: cfg.Rotation.VaultURL, SecretName: cfg.Rotation.SecretName}
	return jobs.NewService(jc, ws, store, jobs.NewBlobOutputs(cred, outputsOptions(j))), nil
}

// outputsOptions returns where job outputs may be read from: storage
// accounts of the configured cloud, and the blob service URL the settings
// name.
func outputsOptions(j config.Jobs) *jobs.BlobOutputsOptions {
	o := &jobs.BlobOutputsOptions{StorageSuffix: storageSuffix(j.Cloud)}
	if j.DatastoreBlobURL != "" {
		o.TrustedServiceURLs = []string{j.DatastoreBlobURL}
	}
	return o
}

// storageSuffix returns the storage endpoint suffix of cloud c: each
// cloud's ARM audience is https://management.<storage suffix>/
// (core.windows.net, core.chinacloudapi.cn, core.usgovcloudapi.net: azcore's
// arm/runtime sets them in cloud.Configuration); any other ARM endpoint
// (such as the local stack, whose Azurite datastore sets a loopback
// blobServiceUrl instead) gets the public cloud's audience and so its
// suffix.
func storageSuffix(c cloud.Configuration) string {
	a := strings.TrimRight(c.Services[cloud.ResourceManager].Audience, "/")
	if s, ok := strings.CutPrefix(a, "https://management."); ok {
		return s
	}
	return jobs.PublicStorageSuffix
}

// jobError answers a failed job call (see answers) and logs server-side
// failures.
func jobError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		// The function's deadline (httpDeadline) passed, whatever the
		// dependency's error says.
		err = &jobs.Error{Kind: errkind.Timeout, Step: "answer within the deadline", Err: fmt.Errorf(
			"the call did not finish within %s (Azure cuts HTTP responses at 230 s): retry; a submission may have been made, check the experiment's jobs before submitting again: %w", httpDeadline, err)}
	}
	if status := writeFailure(w, "", err); status >= 500 {
		log := logging.FromContext(r.Context())
		log.Error().Err(err).Int(logging.FieldStatus, status).Msg("job call failed")
	}
}

// requireJSON refuses bodies that are not declared as JSON.
func requireJSON(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength == 0 {
		return true
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" || strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return true
	}
	funcapp.WriteError(w, http.StatusUnsupportedMediaType, "unsupported media type", "send the body as application/json")
	return false
}

func (h *handlers) jobsReady(w http.ResponseWriter) bool {
	if h.jobs == nil {
		funcapp.WriteError(w, http.StatusServiceUnavailable, "jobs unavailable", fmt.Sprint(h.jobsErr))
		return false
	}
	return true
}

// submitTraining serves POST /api/jobs/training.
func (h *handlers) submitTraining(w http.ResponseWriter, r *http.Request) {
	if !requireJSON(w, r) || !h.jobsReady(w) {
		return
	}
	req, err := jobs.ParseTrainingRequest(r.Body)
	if err != nil {
		jobError(w, r, err)
		return
	}
	sub, err := h.jobs.SubmitTraining(r.Context(), req)
	if err != nil {
		jobError(w, r, err)
		return
	}
	funcapp.WriteJSON(w, http.StatusAccepted, sub)
}

// submitDeployment serves POST /api/jobs/deployment.
func (h *handlers) submitDeployment(w http.ResponseWriter, r *http.Request) {
	if !requireJSON(w, r) || !h.jobsReady(w) {
		return
	}
	req, err := jobs.ParseDeploymentRequest(r.Body)
	if err != nil {
		jobError(w, r, err)
		return
	}
	sub, err := h.jobs.SubmitDeployment(r.Context(), req)
	if err != nil {
		jobError(w, r, err)
		return
	}
	funcapp.WriteJSON(w, http.StatusAccepted, sub)
}

// getJob serves GET /api/jobs/{name}[?wait=SECONDS]: with wait, it
// answers once the job is terminal or the wait has passed.
func (h *handlers) getJob(w http.ResponseWriter, r *http.Request) {
	if !h.jobsReady(w) {
		return
	}
	wait, err := jobs.ParseWait(r.URL.Query().Get("wait"))
	if err != nil {
		jobError(w, r, err)
		return
	}
	st, err := h.jobs.Wait(r.Context(), r.PathValue("name"), wait)
	if err != nil && errors.Is(r.Context().Err(), context.Canceled) {
		return // the caller went away while waiting
	}
	if err != nil {
		jobError(w, r, err)
		return
	}
	funcapp.WriteJSON(w, http.StatusOK, st)
}

// cancelJob serves POST /api/jobs/{name}/cancel: 202 with the status URL
// (also in Location) once AzureML accepted the cancellation.
func (h *handlers) cancelJob(w http.ResponseWriter, r *http.Request) {
	if !h.jobsReady(w) {
		return
	}
	acc, err := h.jobs.Cancel(r.Context(), r.PathValue("name"))
	if err != nil {
		jobError(w, r, err)
		return
	}
	w.Header().Set("Location", acc.StatusURL)
	funcapp.WriteJSON(w, http.StatusAccepted, acc)
}
