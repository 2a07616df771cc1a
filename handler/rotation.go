package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
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

// newRotation builds the rotation service from the app settings. The
// clients make no request until a rotation runs.
func newRotation(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store, log zerolog.Logger) (*rotation.Service, error) {
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
	}, storageCred, r.LockContainer, lockBlobName, &lease.LockerOptions{
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
	res, err := h.rotation.Rotate(ctx, rotation.RotateOptions{Trigger: "timer"})
	if err != nil {
		return err
	}
	if res.Rotated {
		h.statuses.invalidate()
	}
	log.Info().Bool("rotated", res.Rotated).Str("reason", res.Reason).Str("secret_version", res.SecretVersion).
		Bool("past_due", info.IsPastDue).Msg("rotation finished")
	h.refreshConnection(ctx, log, res)
	return nil
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
	res, err := h.rotation.Rotate(ctx, rotation.RotateOptions{Force: force, Trigger: "http"})
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
	funcapp.WriteJSON(w, http.StatusOK, rotationResponse{Status: "ok", Result: res, RegistryConnection: conn})
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
