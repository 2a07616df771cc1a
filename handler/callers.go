package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/callerauth"
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// realm names the API in WWW-Authenticate challenges.
const realm = "frogbridge"

// callers authenticates and authorizes the callers of the HTTP functions
// according to AUTH_MODE:
//
//   - keys: the Functions host checks function keys before it forwards a
//     request; the handler adds nothing. Should the package hold anonymous
//     HTTP functions (made for entra or both), nothing would check the
//     callers, so every protected function refuses every request.
//   - entra: every request needs a valid Entra ID bearer token holding the
//     function's app role (package callerauth), whatever the authLevel.
//   - both: a bearer token is checked as in entra; a request without one
//     needs a function key: one the host already checked (the function is
//     packaged with authLevel function) or, for anonymous functions, one
//     of the keys the host keeps in Key Vault (AUTH_FUNCTION_KEY_SECRETS,
//     with AzureWebJobsSecretStorageType=keyvault).
//
// The handler learns the authLevels from the package itself: the function
// folders next to its executable, which the host scans (funcpkg.Load). So
// the check cannot drift from what the host enforces.
type callers struct {
	cfg       config.Auth
	validator *callerauth.Validator
	keys      *functionKeys
	// pkg is the loaded package, nil when the handler runs outside one.
	pkg *funcpkg.App
	// anonymous lists the protected functions packaged anonymous.
	anonymous []string
	// err refuses every protected request when set (a setting problem, or
	// a keys-mode handler in an anonymous package).
	err string
}

// newCallers builds the caller checks. It makes no request.
func newCallers(cfg *config.Config, cred azcore.TokenCredential, store *keyvault.Store, log zerolog.Logger) *callers {
	c := &callers{cfg: cfg.Auth}
	if exe, err := os.Executable(); err == nil {
		if app, err := funcpkg.Load(filepath.Dir(exe)); err == nil {
			c.pkg = app
		} else {
			log.Debug().Err(err).Msg("no function app package next to the handler; authLevels unknown")
		}
	}
	if ps := cfg.Problems(config.GroupAuth); len(ps) > 0 {
		c.err = "fix these app settings: " + joinProblems(ps)
		return c
	}
	if c.cfg.Tokens() {
		v, err := callerauth.New(callerauth.Options{TenantID: c.cfg.TenantID, ClientID: c.cfg.Audience,
			AcceptV1: c.cfg.AcceptV1, AuthorityHost: c.cfg.AuthorityHost})
		if err != nil {
			c.err = err.Error()
			return c
		}
		c.validator = v
	}
	if c.cfg.Mode == config.AuthBoth {
		if u := c.cfg.KeyVaultURL; u != "" && (store == nil || u != store.VaultURL()) {
			var err error
			names := vaultSettings
			names.Vault = config.EnvSecretStorageVaultURI
			if store, err = keyvault.NewStore(u, cred, &keyvault.StoreOptions{SettingNames: names}); err != nil {
				c.err = fmt.Sprintf("%s: %v", config.EnvSecretStorageVaultURI, err)
				return c
			}
		}
		if store == nil {
			c.err = "AUTH_MODE both reads the function keys from Key Vault: set AzureWebJobsSecretStorageKeyVaultUri (or KEY_VAULT_NAME)"
			return c
		}
		c.keys = &functionKeys{store: store, names: c.cfg.KeySecrets}
	}
	return c
}

// authLevel returns the packaged authLevel of fn, "" when unknown.
func (c *callers) authLevel(fn string) string {
	if c.pkg == nil {
		return ""
	}
	f, ok := c.pkg.Function(fn)
	if !ok {
		return ""
	}
	return f.Trigger().AuthLevel
}

// require wraps the HTTP function fn so that it runs only for callers
// allowed by the mode and, with a token, holding role.
func (c *callers) require(fn, role string, next http.Handler) http.Handler {
	if c.authLevel(fn) == "anonymous" {
		c.anonymous = append(c.anonymous, fn)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := logging.FromContext(r.Context())
		switch why := c.refusal(); {
		case why != "":
			writeFailure(w, "caller authentication not configured", kinded(errkind.Config, errors.New(why)))
			return
		case c.cfg.Mode == config.AuthKeys:
			next.ServeHTTP(w, r)
			return
		}
		header := r.Header.Get("Authorization")
		if c.cfg.Mode == config.AuthBoth && header == "" {
			c.serveKeyed(w, r, fn, next)
			return
		}
		tok, err := callerauth.ParseBearer(header)
		var caller callerauth.Caller
		if err == nil {
			caller, err = c.validator.Validate(r.Context(), tok)
		}
		switch {
		case errors.Is(err, callerauth.ErrKeysUnavailable):
			log.Error().Err(err).Msg("cannot check the caller's token")
			writeFailure(w, "caller authentication unavailable", kinded(errkind.Upstream,
				fmt.Errorf("the tenant's signing keys could not be read (check AUTH_AUTHORITY_HOST, AUTH_TENANT_ID and outbound access to it): %w", err)))
			return
		case err != nil:
			log.Info().Err(err).Msg("refused caller")
			c.unauthorized(w, err)
			return
		}
		log = log.With().Str(callerauth.FieldCallerOID, caller.ObjectID).Str(callerauth.FieldCallerAppID, caller.AppID).Logger()
		if !caller.HasRole(role) {
			log.Info().Strs(callerauth.FieldCallerRoles, caller.Roles).Str("missing_role", role).Msg("caller lacks the app role")
			callerauth.Challenge(w.Header(), realm, "api://"+c.cfg.Audience, nil, role)
			writeFailure(w, "forbidden", kinded(errkind.Forbidden, fmt.Errorf("the caller (appid %s, oid %s) lacks the app role %s of the app registration %s; assign it to the caller's service principal (terraform api_callers or github_callers)",
				caller.AppID, caller.ObjectID, role, c.cfg.Audience)))
			return
		}
		log.Info().Strs(callerauth.FieldCallerRoles, caller.Roles).Msg("caller authenticated with an Entra ID token")
		next.ServeHTTP(w, r.WithContext(logging.WithLogger(r.Context(), log)))
	})
}

// serveKeyed serves a request without a bearer token in both mode.
func (c *callers) serveKeyed(w http.ResponseWriter, r *http.Request, fn string, next http.Handler) {
	log := logging.FromContext(r.Context())
	if lvl := c.authLevel(fn); lvl == "function" || lvl == "admin" {
		// The host forwarded the request, so it carried a valid key.
		log.Info().Msg("caller authenticated with a function key (checked by the host)")
		next.ServeHTTP(w, r)
		return
	}
	key := r.Header.Get("x-functions-key")
	if key == "" {
		key = r.URL.Query().Get("code")
	}
	if key == "" {
		c.unauthorized(w, callerauth.ErrNoToken)
		return
	}
	name, err := c.keys.match(r.Context(), secret.Token(key))
	switch {
	case err != nil:
		log.Error().Err(err).Msg("cannot read the function keys")
		writeFailure(w, "caller authentication unavailable", kinded(errkind.Upstream,
			fmt.Errorf("the function keys could not be read from Key Vault (AUTH_FUNCTION_KEY_SECRETS): %w", err)))
	case name == "":
		log.Info().Msg("refused caller: unknown function key")
		c.unauthorized(w, fmt.Errorf("%w: the function key is not one of the host's keys", callerauth.ErrInvalidToken))
	default:
		log.Info().Str("key", name).Msg("caller authenticated with a function key")
		next.ServeHTTP(w, r)
	}
}

// unauthorized answers 401 with the RFC 6750 challenge.
func (c *callers) unauthorized(w http.ResponseWriter, err error) {
	callerauth.Challenge(w.Header(), realm, "api://"+c.cfg.Audience, err, "")
	how := fmt.Sprintf("send an Entra ID token of tenant %s for api://%s in Authorization: Bearer TOKEN", c.cfg.TenantID, c.cfg.Audience)
	if c.cfg.Mode == config.AuthBoth {
		how += " or a function key (x-functions-key)"
	}
	details := how
	if !errors.Is(err, callerauth.ErrNoToken) {
		details = err.Error() + "; " + how
	}
	writeFailure(w, "unauthorized", kinded(errkind.Authentication, errors.New(details)))
}

// functionKeys are the host's function keys, read from Key Vault and kept
// for keysMaxAge; an unknown key rereads them at most once per
// keysMinRefresh. With AzureWebJobsSecretStorageType=keyvault the host keeps
// each key as one secret: host--masterKey--master, host--functionKey--<name>
// (default: host--functionKey--default), host--systemKey--<name> and
// function--<function>--<name> (Azure/azure-functions-host,
// Microsoft.Azure.WebJobs.Script.WebHost.KeyVaultSecretsRepository:
// MasterKey "host--masterKey--", FunctionKeyPrefix "host--functionKey--").
type functionKeys struct {
	store *keyvault.Store
	names []string

	mu        sync.Mutex
	values    map[string]secret.Token // secret name → key
	fetched   time.Time
	attempted time.Time
}

const (
	keysMaxAge     = 5 * time.Minute
	keysMinRefresh = 30 * time.Second
)

// match returns the name of the secret holding key, "" when none does.
func (k *functionKeys) match(ctx context.Context, key secret.Token) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	if name := k.lookupLocked(key); name != "" && now.Sub(k.fetched) < keysMaxAge {
		return name, nil
	}
	if k.values == nil || now.Sub(k.attempted) >= keysMinRefresh {
		k.attempted = now
		values := map[string]secret.Token{}
		for _, n := range k.names {
			v, err := k.store.Value(ctx, n)
			if errors.Is(err, keyvault.ErrSecretNotFound) {
				continue
			}
			if err != nil {
				return "", err
			}
			if !v.IsZero() {
				values[n] = v
			}
		}
		k.values, k.fetched = values, now
	}
	return k.lookupLocked(key), nil
}

func (k *functionKeys) lookupLocked(key secret.Token) string {
	for name, v := range k.values {
		if subtle.ConstantTimeCompare([]byte(v.Reveal()), []byte(key.Reveal())) == 1 {
			return name
		}
	}
	return ""
}

// refusal says why every protected request is refused, "" when they are
// not. A nil callers refuses nothing.
func (c *callers) refusal() string {
	switch {
	case c == nil:
		return ""
	case c.err != "":
		return c.err
	case c.cfg.Mode == config.AuthKeys && len(c.anonymous) > 0:
		return fmt.Sprintf("the function app is packaged with anonymous HTTP functions (%s), so the host checks no function key, but AUTH_MODE is keys: set AUTH_MODE=entra or both (with AUTH_TENANT_ID and AUTH_AUDIENCE), or deploy a package made with make package AUTH_MODE=keys",
			strings.Join(c.anonymous, ", "))
	}
	return ""
}

// report logs the mode at start, and why every protected request will be
// refused when it will be.
func (c *callers) report(log zerolog.Logger) {
	ev := log.Info().Str("auth_mode", c.cfg.Mode).Strs("anonymous_functions", c.anonymous)
	if c.pkg == nil {
		ev = ev.Bool("packaged", false)
	}
	ev.Msg("caller authentication")
	switch {
	case c.err != "":
		log.Error().Msg("every HTTP function but Health refuses requests: " + c.err)
	case c.cfg.Mode == config.AuthKeys && len(c.anonymous) > 0:
		log.Error().Strs("anonymous_functions", c.anonymous).
			Msg("every HTTP function but Health refuses requests: the package has anonymous HTTP functions but AUTH_MODE is keys")
	}
}

// kindedError gives a caller failure its kind, so writeFailure answers it
// with the status of the one mapping (errors.go).
type kindedError struct {
	kind errkind.Kind
	err  error
}

func kinded(k errkind.Kind, err error) error   { return &kindedError{kind: k, err: err} }
func (e *kindedError) Error() string           { return e.err.Error() }
func (e *kindedError) Unwrap() error           { return e.err }
func (e *kindedError) ErrorKind() errkind.Kind { return e.kind }
