package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/buildinfo"
	"github.com/frogbridge/frogbridge/internal/callerauth"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/diagnose"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/jobs"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// serve reads the app settings, builds the functions and serves them until
// ctx is canceled. A function whose settings are missing still gets a
// route: it answers 503 naming them, so the host always sees the handler
// ready. The host's readiness ping is answered as soon as the port is open;
// the start-up report (version, setting problems) is logged beside it.
func serve(ctx context.Context, stdout, stderr io.Writer) int {
	cfg := config.FromEnv()
	log := logging.New(stdout, cfg.LogLevel)
	if ps := cfg.Problems(config.GroupRuntime); len(ps) > 0 && cfg.Port == 0 {
		fmt.Fprintf(stderr, "handler: cannot start: %s\n", joinProblems(ps))
		return 2
	}
	ln, err := funcapp.Listen(cfg.Port)
	if err != nil {
		log.Error().Err(err).Msg("handler stopped")
		return 1
	}
	app := newApp(ctx, cfg, log)
	served := make(chan error, 1)
	go func() { served <- funcapp.ServeListener(ctx, ln, app.Handler(), log) }()
	log.Info().Str("version", buildinfo.Version).Str("commit", buildinfo.Commit).
		Strs("functions", app.Functions()).Msg("handler starting")
	for _, p := range cfg.Problems() {
		log.Warn().Str("setting", p.Setting).Str("group", p.Group).Msg("app setting problem: " + p.Message)
	}
	if err := <-served; err != nil {
		log.Error().Err(err).Msg("handler stopped")
		return 1
	}
	return 0
}

// newApp registers every function of the app. Function names match the
// folders under functions/.
func newApp(ctx context.Context, cfg *config.Config, log zerolog.Logger) *funcapp.App {
	app := funcapp.New(log)
	h := &handlers{cfg: cfg, log: log, statuses: &statusCache{ttl: healthCacheTTL, now: time.Now}}
	// One credential and one Key Vault client serve both the rotation and
	// the job functions; neither makes a request before a function runs.
	cred, clientErr := managedIdentity(cfg.Rotation.UAMIClientID)
	var store *keyvault.Store
	if clientErr == nil && cfg.Rotation.VaultURL != "" {
		if store, clientErr = keyvault.NewStore(cfg.Rotation.VaultURL, cred, &keyvault.StoreOptions{SecretName: cfg.Rotation.SecretName, SettingNames: vaultSettings}); clientErr != nil {
			clientErr = fmt.Errorf("key vault (KEY_VAULT_NAME/KEY_VAULT_URL): %w", clientErr)
		}
	}
	if len(cfg.Problems(rotationGroups...)) == 0 {
		// MaxGap can take a moment for dense schedules; the host's
		// readiness ping must not wait for it.
		go warnSchedule(cfg, log)
		warnRevoke(cfg, log)
		if h.rotationErr = clientErr; h.rotationErr == nil {
			var svc *rotation.Service
			if svc, h.rotationErr = newRotation(cfg, cred, store, log); h.rotationErr == nil {
				h.rotation = svc
				if h.targets, h.rotationErr = newTargets(cfg, cred, svc, log); h.rotationErr != nil {
					h.rotation = nil
				}
			}
		}
		if h.rotationErr != nil {
			log.Error().Err(h.rotationErr).Msg("rotation unavailable")
		}
	}
	if len(cfg.Problems(jobGroups...)) == 0 {
		if h.jobsErr = clientErr; h.jobsErr == nil {
			h.jobs, h.jobsErr = newJobs(cfg, cred, store)
		}
		if h.jobsErr != nil {
			log.Error().Err(h.jobsErr).Msg("job functions unavailable")
		}
	}
	// Every HTTP function runs under httpDeadline, below the platform's
	// limit for an HTTP response.
	httpFn := func(name, route string, methods []string, next http.Handler) {
		app.HTTP(name, route, methods, withDeadline(httpDeadline, next))
	}
	// Every HTTP function but Health checks its caller first (callers.go).
	auth := newCallers(cfg, cred, store, log)
	h.callers = auth
	httpFn("Health", "/api/health", []string{http.MethodGet}, http.HandlerFunc(h.health))
	httpFn("HealthDetails", "/api/health/details", []string{http.MethodGet}, auth.require("HealthDetails", callerauth.RoleDiagnosticsRead, http.HandlerFunc(h.healthDetails)))
	if clientErr == nil {
		h.diag = diagnosticsDeps(cfg, cred, store)
	} else {
		h.diag = diagnosticsDeps(cfg, nil, nil)
	}
	httpFn("Diagnostics", "/api/diagnostics", []string{http.MethodGet}, auth.require("Diagnostics", callerauth.RoleDiagnosticsRead, http.HandlerFunc(h.diagnostics)))
	app.Timer("KeyVaultSecretRotation", h.rotationTimer)
	httpFn("KeyVaultSecretRotationHttp", "/api/KeyVaultSecretRotation", []string{http.MethodPost}, auth.require("KeyVaultSecretRotationHttp", callerauth.RoleRotationRun, h.needs(rotationGroups, http.HandlerFunc(h.rotationHTTP))))
	httpFn("SubmitTrainingJob", "/api/jobs/training", []string{http.MethodPost}, auth.require("SubmitTrainingJob", callerauth.RoleJobsSubmit, h.needs(jobGroups, http.HandlerFunc(h.submitTraining))))
	httpFn("SubmitDeploymentJob", "/api/jobs/deployment", []string{http.MethodPost}, auth.require("SubmitDeploymentJob", callerauth.RoleJobsSubmit, h.needs(jobGroups, http.HandlerFunc(h.submitDeployment))))
	httpFn("GetJob", "/api/jobs/{name}", []string{http.MethodGet}, auth.require("GetJob", callerauth.RoleJobsRead, h.needs(jobGroups, http.HandlerFunc(h.getJob))))
	httpFn("CancelJob", "/api/jobs/{name}/cancel", []string{http.MethodPost}, auth.require("CancelJob", callerauth.RoleJobsSubmit, h.needs(jobGroups, http.HandlerFunc(h.cancelJob))))
	auth.report(log)
	return app
}

// handlers holds what the functions share.
type handlers struct {
	cfg *config.Config
	log zerolog.Logger
	// rotation is nil while its settings are incomplete; rotationErr then
	// says why when the settings were complete but a client failed.
	rotation    rotator
	rotationErr error
	// targets rotates every ROTATION_TARGETS target; nil when the setting
	// is absent (rotation alone then serves the default target).
	targets *rotation.Targets
	// jobs is nil while the job settings are incomplete.
	jobs    *jobs.Service
	jobsErr error
	// callers checks the callers of the HTTP functions.
	callers *callers
	// health caches the stored token's attributes for the health checks.
	statuses *statusCache
	// conn is the last refresh of the AzureML registry connection by a
	// rotation of this instance.
	conn connectionState
	// diag are the clients of GET /api/diagnostics; diagRuns shares one
	// run between concurrent requests.
	diag     diagnose.Deps
	diagRuns diagnose.Shared
}

var (
	rotationGroups = []string{config.GroupRotation, config.GroupStorage}
	jobGroups      = []string{config.GroupJobs, config.GroupRotation}
)

// needs answers 503 naming every missing or malformed setting of groups
// before next runs.
func (h *handlers) needs(groups []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ps := h.cfg.Problems(groups...); len(ps) > 0 {
			funcapp.WriteError(w, http.StatusServiceUnavailable, "function not configured",
				"fix these app settings: "+joinProblems(ps))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func joinProblems(ps []config.Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// httpDeadline bounds every HTTP function. Azure answers an HTTP-triggered
// function that takes longer than 230 s with a timeout, whatever
// functionTimeout says ("Regardless of the function app timeout setting,
// 230 seconds is the maximum amount of time that an HTTP triggered function
// can take to respond to a request", the Azure Load Balancer's idle
// timeout: https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout).
// 200 s leaves the host time to forward our answer. A variable so tests
// can shorten it.
var httpDeadline = 200 * time.Second

// withDeadline runs next with a context that ends after d.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
