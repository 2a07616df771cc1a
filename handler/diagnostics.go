package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/diagnose"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
)

// diagnosticsTimeout bounds one run of every check, below the platform's
// 230 s HTTP limit.
const diagnosticsTimeout = 2 * time.Minute

// diagnosticsDeps builds the checks' clients from the app settings; a
// client whose settings are missing stays nil and its checks are skipped
// naming them.
func diagnosticsDeps(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store) diagnose.Deps {
	r, j := cfg.Rotation, cfg.Jobs
	d := diagnose.Deps{
		Audience: r.Audience, ProviderName: r.ProviderName, Schedule: r.Schedule, LockContainer: r.LockContainer,
		ConnectionName: j.ConnectionName, ArtifactoryHost: j.ArtifactoryHost, DockerRepo: j.DockerRepo,
		TrainerImage: j.TrainerImage, TrainerTag: j.TrainerTag, MLRepo: j.MLRepo, Compute: j.Compute,
		Missing: map[string]string{
			"rotation": joinProblems(cfg.Problems(rotationGroups...)),
			"jobs":     joinProblems(cfg.Problems(jobGroups...)),
		},
	}
	if cred == nil || d.Missing["rotation"] != "" {
		return d
	}
	d.Identity, d.Store = cred, store
	if jf, err := jfrog.NewClient(r.ArtifactoryURL, nil); err == nil {
		d.JFrog = jf
	}
	storageCred := cred
	if cfg.Storage.ClientID != "" && cfg.Storage.ClientID != r.UAMIClientID {
		if c, err := managedIdentity(cfg.Storage.ClientID); err == nil {
			storageCred = c
		}
	}
	if c, err := lease.NewContainerClient(lease.Settings{
		ConnectionString: cfg.Storage.ConnectionString, BlobServiceURI: cfg.Storage.BlobServiceURL, AccountName: cfg.Storage.AccountName,
	}, storageCred, r.LockContainer, &azcore.ClientOptions{Retry: policy.RetryOptions{TryTimeout: tryTimeout}}); err == nil {
		d.Locks = c
	}
	if d.Missing["jobs"] == "" {
		opts := &azureml.ClientOptions{}
		opts.Cloud = j.Cloud
		if ws, err := azureml.NewClient(azureml.Workspace{SubscriptionID: j.SubscriptionID, ResourceGroup: j.ResourceGroup, Name: j.Workspace}, cred, opts); err == nil {
			d.Workspace = ws
		}
	}
	return d
}

// diagnostics serves GET /api/diagnostics: every check, 200 when none
// failed, 503 otherwise, the report as JSON. Concurrent requests share one
// run.
func (h *handlers) diagnostics(w http.ResponseWriter, r *http.Request) {
	rep, err := h.diagRuns.Run(r.Context(), h.diag, diagnosticsTimeout)
	if err != nil {
		if errors.Is(r.Context().Err(), context.Canceled) {
			return // the caller went away
		}
		funcapp.WriteError(w, http.StatusGatewayTimeout, "timeout",
			"the diagnostics did not finish before the function's deadline; run `handler doctor` with the app settings to see every check")
		return
	}
	status := http.StatusOK
	if rep.Failed() {
		status = http.StatusServiceUnavailable
	}
	funcapp.WriteJSON(w, status, rep)
}

// runDoctor serves `handler doctor`: the same checks from an operator's
// shell with the app settings in the environment, as a table. It exits 1
// when a check failed.
func runDoctor(ctx context.Context, stdout, stderr io.Writer) int {
	cfg := config.FromEnv()
	cred, err := managedIdentity(cfg.Rotation.UAMIClientID)
	if err != nil {
		fmt.Fprintln(stderr, "handler doctor:", err)
		return 2
	}
	var store *keyvault.Store
	if cfg.Rotation.VaultURL != "" {
		if store, err = keyvault.NewStore(cfg.Rotation.VaultURL, cred, &keyvault.StoreOptions{SecretName: cfg.Rotation.SecretName}); err != nil {
			fmt.Fprintln(stderr, "handler doctor: key vault (KEY_VAULT_NAME/KEY_VAULT_URL):", err)
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(ctx, diagnosticsTimeout)
	defer cancel()
	rep := diagnose.Run(ctx, diagnosticsDeps(cfg, cred, store))
	if err := rep.WriteTable(stdout); err != nil {
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}
