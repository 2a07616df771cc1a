package rotation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const (
	// defaultRunTimeout bounds a run whose caller set no deadline.
	defaultRunTimeout = 5 * time.Minute
	// defaultCoalesceWindow gathers requests arriving together into one run.
	defaultCoalesceWindow = 100 * time.Millisecond
	// defaultLockWait bounds the wait for the cross-instance lock.
	defaultLockWait = 2 * time.Minute
	// cleanupTimeout bounds revocation and lock release after a failure,
	// which run even when the caller's deadline has passed.
	cleanupTimeout = 15 * time.Second
	// lockMargin is kept from the deadline for the rotation itself.
	lockMargin = 10 * time.Second

	// DefaultRotatedBy is the rotated-by tag written with each version.
	DefaultRotatedBy = "frogbridge"
)

// Log field names.
const (
	fieldTrigger = "trigger"
	fieldStep    = "step"
	fieldVersion = "secret_version"
	fieldTokenID = "token_id"
	fieldReason  = "reason"
	fieldTarget  = "target"
)

// Config is the rotation's configuration (from the app settings).
type Config struct {
	// Audience is AZURE_AD_TOKEN_AUDIENCE, the resource of the Entra ID token.
	Audience string
	// ProviderName is JFROG_OIDC_PROVIDER_NAME.
	ProviderName string
	// ProviderType is sent with the exchange; "" means "Azure".
	ProviderType string
	// SecretTTL is SECRET_TTL: a run without Force skips while the stored
	// token has more than half of it left.
	SecretTTL time.Duration
	// RevokePrevious (ROTATION_REVOKE_PREVIOUS) revokes the replaced token
	// after the new one is stored.
	RevokePrevious bool
	// LockWait bounds the wait for the cross-instance lock; 0 means 2 min.
	// The wait also ends 10 s before the caller's deadline.
	LockWait time.Duration
	// RotatedBy is the rotated-by tag; "" means DefaultRotatedBy.
	RotatedBy string
	// CoalesceWindow is how long a run waits before starting so that
	// requests arriving together share it; 0 means 100 ms, negative none.
	CoalesceWindow time.Duration
	// ForceMinInterval (ROTATION_FORCE_MIN_INTERVAL) is the least time
	// between two forced rotations that mint a token, across instances
	// (Dependencies.Forced); a forced run within it fails with
	// KindRateLimited. 0 means no limit.
	ForceMinInterval time.Duration
	// Exchange are the target's JFrog exchange options (identity mapping,
	// project, scope, audience, reference token); ProviderType is taken
	// from Config.ProviderType.
	Exchange jfrog.ExchangeOptions
	// Target names the target in logs and in the forced-rotation record;
	// "" is the default target (ARTIFACTORY_TOKEN_SECRET_NAME).
	Target string
}

// Dependencies are the service's collaborators. Locker may be nil when a
// single instance runs (no cross-instance lock); the others are required.
type Dependencies struct {
	// Tokens is the managed identity credential.
	Tokens TokenSource
	// Exchanger, Verifier and Revoker are the JFrog Access client.
	Exchanger Exchanger
	Verifier  Verifier
	Revoker   Revoker
	// Store is the Key Vault secret.
	Store SecretStore
	// Locker is the cross-instance lock (blob lease); nil means none.
	Locker Locker
	// Forced records the last forced rotation for every instance (the
	// lock blob's metadata); nil keeps it in this process only.
	Forced ForceLog
	// Logger receives progress and the failures the service does not
	// return (revocation, lock release); nil means no logging.
	Logger *zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service rotates the JFrog token. It is safe for concurrent use.
type Service struct {
	cfg     Config
	deps    Dependencies
	log     zerolog.Logger
	now     func() time.Time
	flights group

	mu         sync.Mutex
	lastForced time.Time // this process's last forced rotation
}

// NewService checks cfg and deps and returns a Service.
func NewService(cfg Config, deps Dependencies) (*Service, error) {
	var missing []string
	if strings.TrimSpace(cfg.Audience) == "" {
		missing = append(missing, "AZURE_AD_TOKEN_AUDIENCE")
	}
	if strings.TrimSpace(cfg.ProviderName) == "" {
		missing = append(missing, "JFROG_OIDC_PROVIDER_NAME")
	}
	if cfg.SecretTTL <= 0 {
		missing = append(missing, "SECRET_TTL")
	}
	if len(missing) > 0 {
		return nil, &Error{Kind: errkind.Config, Step: "configure", Err: fmt.Errorf("missing or invalid settings: %s", strings.Join(missing, ", "))}
	}
	if deps.Tokens == nil || deps.Exchanger == nil || deps.Verifier == nil || deps.Revoker == nil || deps.Store == nil {
		return nil, errors.New("rotation: Tokens, Exchanger, Verifier, Revoker and Store are required")
	}
	if cfg.LockWait <= 0 {
		cfg.LockWait = defaultLockWait
	}
	if cfg.RotatedBy == "" {
		cfg.RotatedBy = DefaultRotatedBy
	}
	if cfg.CoalesceWindow == 0 {
		cfg.CoalesceWindow = defaultCoalesceWindow
	}
	s := &Service{cfg: cfg, deps: deps, log: zerolog.Nop(), now: time.Now}
	if deps.Logger != nil {
		s.log = *deps.Logger
	}
	if deps.Now != nil {
		s.now = deps.Now
	}
	return s, nil
}

// RotateOptions select how a run behaves.
type RotateOptions struct {
	// Force rotates even when the stored token is fresh.
	Force bool
	// Trigger says who asked ("timer", "http"); it is logged and tagged.
	Trigger string
}

// Result is the outcome of Rotate.
type Result struct {
	// Rotated reports whether a new version holds a new token (possibly
	// stored by a concurrent run, see Reason).
	Rotated bool `json:"rotated"`
	// Reason says why the run rotated or skipped.
	Reason string `json:"reason"`
	// Username is the JFrog user of the stored token.
	Username string `json:"username,omitempty"`
	// ExpiresOn is the stored token's expiry; zero when it does not expire.
	ExpiresOn time.Time `json:"expires_on,omitzero"`
	// SecretVersion is the Key Vault version holding the token.
	SecretVersion string `json:"secret_version,omitempty"`
	// TokenID is the JFrog token id of the stored token.
	TokenID string `json:"token_id,omitempty"`
	// PreviousRevoked reports, when ROTATION_REVOKE_PREVIOUS asked for it,
	// whether JFrog revoked the replaced token; nil when no revocation was
	// due. It is true only when JFrog answered that it revoked the token.
	PreviousRevoked *bool `json:"previous_revoked,omitempty"`
	// PreviousRevokeReason says why the replaced token was not revoked.
	PreviousRevokeReason string `json:"previous_revoke_reason,omitempty"`
}

// Rotate runs one rotation, or joins the run already in progress (or about
// to start, see Config.CoalesceWindow) in this process for the same Force
// value and returns its result. Errors are
// *Error values; the previous secret version stays the latest on any error.
func (s *Service) Rotate(ctx context.Context, o RotateOptions) (Result, error) {
	start := s.now()
	key := "scheduled"
	if o.Force {
		key = "forced"
	}
	return s.flights.do(ctx, key, func(ctx context.Context) (Result, error) {
		if w := s.cfg.CoalesceWindow; w > 0 {
			t := time.NewTimer(w)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return Result{}, &Error{Kind: errkind.Timeout, Step: "start rotation", Err: ctx.Err()}
			}
		}
		return s.rotate(ctx, o, start)
	})
}

// rotate is one run, under the cross-instance lock.
func (s *Service) rotate(ctx context.Context, o RotateOptions, start time.Time) (Result, error) {
	log := s.log.With().Str(fieldTrigger, o.Trigger).Bool("force", o.Force).Logger()
	if s.cfg.Target != "" {
		log = log.With().Str(fieldTarget, s.cfg.Target).Logger()
	}
	if s.deps.Locker != nil {
		held, release, err := s.deps.Locker.Lock(ctx, s.lockWait(ctx))
		if err != nil {
			return Result{}, fail("acquire rotation lock", err)
		}
		ctx = held // cancelled when the lease is lost
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if err := release(rctx); err != nil {
				log.Warn().Err(err).Msg("release rotation lock")
			}
		}()
	}

	cur, reason, err := s.current(ctx, log, o, start)
	if err != nil {
		return Result{}, err
	}
	if reason.done != nil {
		log.Info().Str(fieldReason, reason.done.Reason).Str(fieldVersion, reason.done.SecretVersion).Msg("rotation not needed")
		return *reason.done, nil
	}
	if o.Force {
		if err := s.checkForceInterval(ctx, log); err != nil {
			return Result{}, err
		}
	}

	// 1. Entra ID token for the audience, checked before it leaves the process.
	at, err := s.deps.Tokens.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ScopeFor(s.cfg.Audience)}})
	if err != nil {
		e := fail("get managed identity token", fmt.Errorf("audience %s: check UAMI_CLIENT_ID and that the identity is assigned to the app: %w", s.cfg.Audience, err))
		if e.Kind == errkind.Upstream {
			e.Kind = errkind.Authentication
		}
		return Result{}, e
	}
	if _, err := CheckClaims(at.Token, s.cfg.Audience, s.now()); err != nil {
		return Result{}, &Error{Kind: errkind.Authentication, Step: "check managed identity token", Err: err}
	}

	// 2. Exchange it at JFrog.
	xo := s.cfg.Exchange
	xo.ProviderType = s.cfg.ProviderType
	ex, err := s.deps.Exchanger.Exchange(ctx, secret.Token(at.Token), s.cfg.ProviderName, &xo)
	if err != nil {
		return Result{}, fail("exchange token at JFrog", err)
	}
	log = log.With().Str(fieldTokenID, ex.TokenID).Logger()
	if o.Force {
		s.recordForced(ctx, log)
	}

	// 3. Prove the new token works before it replaces anything.
	info, err := s.deps.Verifier.Me(ctx, ex.AccessToken)
	if errors.Is(err, upstream.ErrNotFound) && ex.ExpiresIn > 0 && ex.ExpiresIn < jfrog.PersistentExpiryThreshold {
		// JFrog does not store a token below its persistency threshold, so
		// tokens/me cannot find it (localjfrog/thresholds.go).
		return Result{}, &Error{Kind: errkind.Upstream, Step: "verify new token", Err: fmt.Errorf(
			"JFrog issued a token of %d s, below its persistent-expiry-threshold (%d s by default), and keeps no record of it, so it cannot be verified or revoked: set the identity mapping's expires_in and SECRET_TTL to at least %d: %w",
			int(ex.ExpiresIn/time.Second), int(jfrog.PersistentExpiryThreshold/time.Second), int(jfrog.RevocableExpiryThreshold/time.Second), err)}
	}
	if err != nil {
		s.revokeNew(ctx, log, ex, "it failed verification")
		e := fail("verify new token", err)
		if e.Kind != errkind.Timeout {
			e.Kind = errkind.Upstream // JFrog rejecting a token it just issued is an upstream fault
		}
		return Result{}, e
	}
	if ex.TokenID == "" {
		ex.TokenID = info.TokenID
	}
	if ex.Username == "" {
		ex.Username = info.Username
	}
	if ex.Username == "" {
		s.revokeNew(ctx, log, ex, "it has no user")
		return Result{}, &Error{Kind: errkind.Upstream, Step: "verify new token", Err: fmt.Errorf("the token from OIDC integration %q has no username: set token_spec.username in its identity mapping (group-scoped tokens cannot be used)", s.cfg.ProviderName)}
	}

	// 4. Store it as a new version, unless the lock was lost meanwhile:
	// another instance may be rotating, and its version must not be
	// overwritten by this one.
	if lost := context.Cause(ctx); lost != nil && errors.Is(lost, lease.ErrLost) {
		s.revokeNew(ctx, log, ex, "the rotation lock was lost before storing it")
		return Result{}, &Error{Kind: errkind.Locked, Step: "store new version", Err: lost}
	}
	var expires time.Time
	if ex.ExpiresIn > 0 {
		expires = s.now().Add(ex.ExpiresIn).UTC().Truncate(time.Second)
	}
	nv := keyvault.NewVersion{AccessToken: ex.AccessToken, Username: ex.Username, ExpiresOn: expires, TokenID: ex.TokenID, RotatedBy: s.cfg.RotatedBy, Trigger: o.Trigger}
	props, err := s.deps.Store.Put(ctx, nv)
	if err != nil {
		landed, stored := s.storeOutcome(ctx, log, ex, err)
		if !landed {
			return Result{}, fail("store new version", err)
		}
		log.Warn().Err(err).Msg("store reported an error but the new version is the latest")
		props = stored
	}

	res := Result{Rotated: true, Reason: reason.why, Username: ex.Username, ExpiresOn: expires, SecretVersion: props.Version, TokenID: ex.TokenID}

	// 5. Optionally revoke the token it replaced.
	if s.cfg.RevokePrevious && !cur.AccessToken.IsZero() {
		revoked, why := s.revokePrevious(ctx, log, cur, ex)
		res.PreviousRevoked, res.PreviousRevokeReason = &revoked, why
	}
	log.Info().Str(fieldReason, res.Reason).Str(fieldVersion, res.SecretVersion).Time("expires_on", res.ExpiresOn).Msg("token rotated")
	return res, nil
}

// RevokeWarning returns a warning when RevokePrevious is set but SECRET_TTL
// is below JFrog's default revocable-expiry-threshold, so that JFrog cannot
// revoke the replaced tokens; "" otherwise.
func (c Config) RevokeWarning() string {
	if !c.RevokePrevious || c.SecretTTL <= 0 || c.SecretTTL >= jfrog.RevocableExpiryThreshold {
		return ""
	}
	return fmt.Sprintf("ROTATION_REVOKE_PREVIOUS=true cannot revoke anything: SECRET_TTL %d s is below JFrog's revocable-expiry-threshold (%d s by default), and JFrog does not revoke tokens with a shorter lifetime; set SECRET_TTL and the identity mapping's expires_in to at least %d",
		int(c.SecretTTL/time.Second), int(jfrog.RevocableExpiryThreshold/time.Second), int(jfrog.RevocableExpiryThreshold/time.Second))
}

// lockWait is the configured wait, cut to leave lockMargin before ctx's deadline.
func (s *Service) lockWait(ctx context.Context) time.Duration {
	wait := s.cfg.LockWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)-lockMargin)
	}
	return max(wait, 0)
}

// decision is what reading the current secret decided.
type decision struct {
	why  string  // reason to rotate
	done *Result // non-nil: no rotation needed, return this
}

// current reads the stored secret and decides whether to rotate.
func (s *Service) current(ctx context.Context, log zerolog.Logger, o RotateOptions, start time.Time) (keyvault.Credentials, decision, error) {
	cur, err := s.deps.Store.Current(ctx)
	switch {
	case err == nil:
	case errors.Is(err, keyvault.ErrSecretNotFound):
		return keyvault.Credentials{}, decision{why: "the secret has no version yet"}, nil
	case errors.Is(err, keyvault.ErrMalformedSecret):
		return keyvault.Credentials{}, decision{why: "the stored secret is malformed"}, nil
	default:
		return keyvault.Credentials{}, decision{}, fail("read current secret", err)
	}
	// A version created after this call began was stored by a concurrent run
	// (another instance held the lock meanwhile): share its result. Key
	// Vault records whole seconds, so a version stored before the call began
	// never looks newer than it.
	if cur.Created != nil && cur.Tags[keyvault.TagRotatedBy] != "" && cur.Created.After(start) {
		return cur, decision{done: s.resultFrom(cur, true, "rotated by a concurrent run")}, nil
	}
	now := s.now()
	switch {
	case o.Force:
		return cur, decision{why: "forced"}, nil
	case cur.ExpiresOn == nil:
		return cur, decision{why: "the stored token has no recorded expiry"}, nil
	}
	left := cur.ExpiresOn.Sub(now)
	half := s.cfg.SecretTTL / 2
	if left > half {
		if why := s.refused(ctx, log, cur); why != "" {
			return cur, decision{why: why}, nil
		}
		return cur, decision{done: s.resultFrom(cur, false, fmt.Sprintf("the stored token expires in %s, more than half of SECRET_TTL (%s)", round(left), round(s.cfg.SecretTTL)))}, nil
	}
	if left <= 0 {
		return cur, decision{why: "the stored token has expired"}, nil
	}
	return cur, decision{why: fmt.Sprintf("the stored token expires in %s, within half of SECRET_TTL (%s)", round(left), round(s.cfg.SecretTTL))}, nil
}

// refused checks a stored token that looks fresh with JFrog (tokens/me)
// and returns why it must be replaced when JFrog refuses it (401 or 403:
// revoked out of band, or revoked by a run whose store outcome was
// ambiguous). Any other failure (JFrog unreachable, 5xx, deadline) keeps
// the token: an outage must not turn every timer run into a rotation.
func (s *Service) refused(ctx context.Context, log zerolog.Logger, cur keyvault.Credentials) string {
	_, err := s.deps.Verifier.Me(ctx, cur.AccessToken)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, upstream.ErrUnauthorized), errors.Is(err, upstream.ErrForbidden):
		log.Warn().Err(err).Str(fieldVersion, cur.Version).Msg("JFrog refuses the stored token")
		return "JFrog refuses the stored token (tokens/me): it was revoked or its user lost access"
	default:
		log.Warn().Err(err).Str(fieldVersion, cur.Version).Msg("cannot check the stored token with JFrog; keeping it")
		return ""
	}
}

func (s *Service) resultFrom(c keyvault.Credentials, rotated bool, reason string) *Result {
	r := &Result{Rotated: rotated, Reason: reason, Username: c.Username, SecretVersion: c.Version, TokenID: c.TokenID()}
	if c.ExpiresOn != nil {
		r.ExpiresOn = *c.ExpiresOn
	}
	return r
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
