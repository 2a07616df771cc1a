package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/funcapp"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// Deadlines of one rotation. An HTTP caller must get an answer before the
// platform's 230 s limit; the timer may take longer.
const (
	httpRotationTimeout  = 3 * time.Minute
	timerRotationTimeout = 8 * time.Minute
	lockBlobName         = "jfrog-token-rotation"
	// tryTimeout bounds one attempt of a call to the identity endpoint or
	// host storage, so a stalled dependency is retried instead of holding
	// the whole invocation (the Key Vault and JFrog clients use the same).
	tryTimeout = 30 * time.Second
	// leaseDuration is how long a crashed instance can hold the rotation
	// lock; a running rotation renews it.
	leaseDuration = 30 * time.Second
)

// rotator is what the functions need of the rotation service.
type rotator interface {
	Rotate(ctx context.Context, o rotation.RotateOptions) (rotation.Result, error)
	Status(ctx context.Context) (rotation.TokenStatus, error)
}

// managedIdentity returns the function app's managed identity: the
// user-assigned one when clientID is set, else the system-assigned one.
func managedIdentity(clientID string) (azcore.TokenCredential, error) {
	opts := &azidentity.ManagedIdentityCredentialOptions{}
	opts.Retry.TryTimeout = tryTimeout
	if clientID != "" {
		opts.ID = azidentity.ClientID(clientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(opts)
	if err != nil {
		return nil, fmt.Errorf("managed identity: %w", err)
	}
	return cred, nil
}

// newRotation builds the rotation service of the default target
// (ARTIFACTORY_TOKEN_SECRET_NAME, shape json) from the app settings. The
// clients make no request until a rotation runs.
func newRotation(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store, log zerolog.Logger) (*rotation.Service, error) {
	var t config.Target
	for _, x := range cfg.Rotation.Targets {
		if strings.EqualFold(x.Secret, cfg.Rotation.SecretName) {
			t = x // the default secret's exchange options
		}
	}
	return newTargetService(cfg, cred, store, log, lockBlobName, "", t)
}

// newTargets builds the services of ROTATION_TARGETS, the default target
// first; nil when the setting is absent. Each target has its own store,
// lock blob and forced-rotation record, so targets rotate independently.
func newTargets(cfg *config.Config, cred azcore.TokenCredential, def *rotation.Service, log zerolog.Logger) (*rotation.Targets, error) {
	r := cfg.Rotation
	if len(r.Targets) == 0 {
		return nil, nil
	}
	u, err := url.Parse(r.ArtifactoryURL)
	if err != nil {
		return nil, fmt.Errorf("JFrog (ARTIFACTORY_URL): %w", err)
	}
	list := []rotation.Target{{Name: r.SecretName, Shape: string(keyvault.ShapeJSON), Service: def}}
	for _, t := range r.Targets {
		if strings.EqualFold(t.Secret, r.SecretName) {
			continue
		}
		store, err := keyvault.NewStore(r.VaultURL, cred, &keyvault.StoreOptions{SecretName: t.Secret, Shape: keyvault.Shape(t.Shape), Host: u.Host, SettingNames: vaultSettings})
		if err != nil {
			return nil, fmt.Errorf("key vault (%s target %s): %w", config.EnvRotationTargets, t.Secret, err)
		}
		svc, err := newTargetService(cfg, cred, store, log, lockBlobName+"-"+strings.ToLower(t.Secret), t.Secret, t)
		if err != nil {
			return nil, fmt.Errorf("%s target %s: %w", config.EnvRotationTargets, t.Secret, err)
		}
		list = append(list, rotation.Target{Name: t.Secret, Shape: t.Shape, Service: svc})
	}
	return rotation.NewTargets(list)
}

// newTargetService builds the rotation service of one target: its secret
// (store), its lock blob and its JFrog exchange options. name is "" for
// the default target.
func newTargetService(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store, log zerolog.Logger, blob, name string, t config.Target) (*rotation.Service, error) {
	r := cfg.Rotation
	jf, err := jfrog.NewClient(r.ArtifactoryURL, &jfrog.ClientOptions{SettingNames: jfrogSettings})
	if err != nil {
		return nil, fmt.Errorf("JFrog (ARTIFACTORY_URL): %w", err)
	}
	storageCred := cred
	if cfg.Storage.ClientID != "" && cfg.Storage.ClientID != r.UAMIClientID {
		if storageCred, err = managedIdentity(cfg.Storage.ClientID); err != nil {
			return nil, err
		}
	}
	locker, err := lease.NewLockerFromSettings(lease.Settings{
		ConnectionString: cfg.Storage.ConnectionString,
		BlobServiceURI:   cfg.Storage.BlobServiceURL,
		AccountName:      cfg.Storage.AccountName,
	}, storageCred, r.LockContainer, blob, &lease.LockerOptions{
		ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{TryTimeout: tryTimeout}},
		LeaseDuration: leaseDuration,
	})
	if err != nil {
		return nil, fmt.Errorf("host storage (AzureWebJobsStorage): %w", err)
	}
	logger := log.With().Str("component", "rotation").Logger()
	return rotation.NewService(rotation.Config{
		Audience:         r.Audience,
		ProviderName:     r.ProviderName,
		SecretTTL:        r.TTL,
		RevokePrevious:   r.RevokePrevious,
		ForceMinInterval: r.ForceMinInterval,
		Target:           name,
		Exchange: jfrog.ExchangeOptions{
			IdentityMappingName:   t.IdentityMappingName,
			ProjectKey:            t.ProjectKey,
			Scope:                 t.Scope,
			Audience:              t.Audience,
			IncludeReferenceToken: t.IncludeReferenceToken,
		},
	}, rotation.Dependencies{
		Tokens: cred, Exchanger: jf, Verifier: jf, Revoker: jf, Store: store, Locker: locker, Forced: locker, Logger: &logger,
	})
}

// rotationResponse is the body of a successful POST /api/KeyVaultSecretRotation.
type rotationResponse struct {
	Status string `json:"status"`
	rotation.Result
	// RegistryConnection is the refresh of the AzureML registry connection
	// that followed, when the job settings are present and one was due.
	RegistryConnection *connectionReport `json:"registry_connection,omitempty"`
	// Targets lists every target's outcome, the default first, when
	// ROTATION_TARGETS is set.
	Targets []rotation.TargetResult `json:"targets,omitempty"`
}

// rotationFailure is the body of a failed rotation of the default target
// when ROTATION_TARGETS is set: the usual error body plus every target.
type rotationFailure struct {
	Error   string                  `json:"error"`
	Details string                  `json:"details"`
	Targets []rotation.TargetResult `json:"targets"`
}

// rotate runs the default target alone, or every target when
// ROTATION_TARGETS is set; it returns the default target's outcome, every
// target's (nil without ROTATION_TARGETS) and an error naming the other
// targets that failed.
func (h *handlers) rotate(ctx context.Context, o rotation.RotateOptions) (rotation.Result, []rotation.TargetResult, error, error) {
	if h.targets == nil {
		res, err := h.rotation.Rotate(ctx, o)
		return res, nil, err, nil
	}
	all := h.targets.RotateAll(ctx, o)
	for i := range all {
		all[i].Error = redact.String(all[i].Error)
	}
	var failed []string
	for _, t := range all[1:] {
		if t.Err != nil {
			failed = append(failed, t.Secret+": "+t.Err.Error())
		}
	}
	var others error
	if len(failed) > 0 {
		others = fmt.Errorf("%d of %d %s targets failed: %s", len(failed), len(all), config.EnvRotationTargets, strings.Join(failed, "; "))
	}
	return all[0].Result, all, all[0].Err, others
}

// rotationTimer runs the scheduled rotation; it skips while the stored
// token is fresh.
func (h *handlers) rotationTimer(ctx context.Context, log zerolog.Logger, info funcapp.TimerInfo) error {
	if ps := h.cfg.Problems(rotationGroups...); len(ps) > 0 {
		return fmt.Errorf("fix these app settings: %s", joinProblems(ps))
	}
	if h.rotation == nil {
		return fmt.Errorf("rotation unavailable: %v", h.rotationErr)
	}
	ctx, cancel := context.WithTimeout(ctx, timerRotationTimeout)
	defer cancel()
	res, _, err, others := h.rotate(ctx, rotation.RotateOptions{Trigger: "timer"})
	if err != nil {
		return errors.Join(err, others)
	}
	if res.Rotated {
		h.statuses.invalidate()
	}
	log.Info().Bool("rotated", res.Rotated).Str("reason", res.Reason).Str("secret_version", res.SecretVersion).
		Bool("past_due", info.IsPastDue).Msg("rotation finished")
	h.refreshConnection(ctx, log, res)
	return others
}

// rotationHTTP runs a rotation on request; ?force=true rotates even when
// the stored token is fresh.
func (h *handlers) rotationHTTP(w http.ResponseWriter, r *http.Request) {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			funcapp.WriteError(w, http.StatusBadRequest, "invalid query", "force must be true or false")
			return
		}
		force = b
	}
	if h.rotation == nil {
		funcapp.WriteError(w, http.StatusServiceUnavailable, "rotation unavailable", h.rotationErr.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), httpRotationTimeout)
	defer cancel()
	res, all, err, others := h.rotate(ctx, rotation.RotateOptions{Force: force, Trigger: "http"})
	rlog := logging.FromContext(r.Context())
	if others != nil {
		rlog.Error().Err(others).Msg("rotation targets failed")
	}
	if err != nil && all != nil {
		a := answerFor(err)
		if wait, ok := rotation.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		rlog.Error().Err(err).Int(logging.FieldStatus, a.status).Msg("rotation failed")
		funcapp.WriteJSON(w, a.status, rotationFailure{Error: a.title, Details: redact.String(err.Error()), Targets: all})
		return
	}
	if err != nil {
		log := logging.FromContext(r.Context())
		if wait, ok := rotation.RetryAfter(err); ok {
			// Retry-After in whole seconds (RFC 9110 section 10.2.3).
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			status := writeFailure(w, "too many forced rotations", err)
			log.Warn().Err(err).Int(logging.FieldStatus, status).Msg("forced rotation refused")
			return
		}
		status := writeFailure(w, "rotation failed", err)
		log.Error().Err(err).Int(logging.FieldStatus, status).Msg("rotation failed")
		return
	}
	if res.Rotated {
		h.statuses.invalidate()
	}
	conn := h.refreshConnection(ctx, logging.FromContext(r.Context()), res)
	status := "ok"
	if others != nil {
		status = "partial" // the default target rotated; see targets for the others
	}
	funcapp.WriteJSON(w, http.StatusOK, rotationResponse{Status: status, Result: res, RegistryConnection: conn, Targets: all})
}

// configWarnings are the health report's warnings: settings that are valid
// but cannot do what they ask.
func configWarnings(cfg *config.Config) []string {
	out := []string{}
	rc := rotation.Config{RevokePrevious: cfg.Rotation.RevokePrevious, SecretTTL: cfg.Rotation.TTL}
	if w := rc.RevokeWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

// warnRevoke logs at start when ROTATION_REVOKE_PREVIOUS cannot revoke
// anything because SECRET_TTL is below JFrog's revocable-expiry-threshold.
func warnRevoke(cfg *config.Config, log zerolog.Logger) {
	for _, w := range configWarnings(cfg) {
		log.Warn().Str("setting", config.EnvRevokePrevious).Msg(w)
	}
}

// warnSchedule logs when ROTATION_SCHEDULE lets the token expire before the
// next run.
func warnSchedule(cfg *config.Config, log zerolog.Logger) {
	s := cfg.Rotation.Schedule
	if s == "" {
		if want, err := rotation.Schedule(cfg.Rotation.TTL); err == nil {
			log.Warn().Str("setting", config.EnvRotationSchedule).Msgf("ROTATION_SCHEDULE is not set; for SECRET_TTL=%d the schedule is %q", int(cfg.Rotation.TTL.Seconds()), want)
		}
		return
	}
	gap, err := rotation.MaxGap(s)
	if err != nil {
		log.Warn().Str("setting", config.EnvRotationSchedule).Err(err).Msg("cannot check the rotation schedule")
		return
	}
	if gap >= cfg.Rotation.TTL {
		want, _ := rotation.Schedule(cfg.Rotation.TTL)
		log.Warn().Str("setting", config.EnvRotationSchedule).Dur("max_gap", gap).Dur("ttl", cfg.Rotation.TTL).
			Msgf("ROTATION_SCHEDULE can leave %s between runs, longer than SECRET_TTL: the token would expire before the next rotation; use %q", gap, want)
	}
}
