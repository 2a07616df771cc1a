package callerauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/golang-jwt/jwt/v5"
)

// Defaults of Options.
const (
	DefaultAuthorityHost = "https://login.microsoftonline.com"
	DefaultLeeway        = time.Minute
	// DefaultMinRefreshInterval and DefaultMaxKeyAge follow Microsoft's
	// keys metadata caching algorithm (signing-key-rollover.md): refresh
	// every hour, and for a token with an unknown kid "no more frequently
	// than 5mins"; a failed refresh keeps the last good keys.
	DefaultMinRefreshInterval = 5 * time.Minute
	DefaultMaxKeyAge          = time.Hour
	// MaxTokenLength bounds the tokens parsed; Entra's access tokens are a
	// few kilobytes.
	MaxTokenLength = 16 << 10
)

// Sentinel errors of Validate. Errors match exactly one of them.
var (
	// ErrNoToken: the request carries no bearer token.
	ErrNoToken = errors.New("no bearer token")
	// ErrInvalidToken: the token is malformed, badly signed, expired, not
	// yet valid, or for another issuer, tenant or audience (401).
	ErrInvalidToken = errors.New("invalid token")
	// ErrKeysUnavailable: the tenant's signing keys could not be fetched,
	// so no token can be checked (503).
	ErrKeysUnavailable = errors.New("signing keys unavailable")
)

// Options configure a Validator. TenantID and ClientID are required; zero
// values of the others mean the defaults.
type Options struct {
	azcore.ClientOptions

	// TenantID is the tenant (GUID) whose tokens are accepted.
	TenantID string
	// ClientID is the client id of the API's app registration; tokens
	// with aud ClientID or api://ClientID are accepted.
	ClientID string
	// AcceptV1 also accepts v1 tokens (iss https://sts.windows.net/<tid>/).
	AcceptV1 bool
	// AuthorityHost is the Entra ID authority (DefaultAuthorityHost).
	AuthorityHost string
	// Leeway is the clock skew allowed on exp and nbf (DefaultLeeway).
	Leeway time.Duration
	// MinRefreshInterval bounds how often an unknown kid refetches the
	// keys (DefaultMinRefreshInterval).
	MinRefreshInterval time.Duration
	// MaxKeyAge is how long fetched keys are used before a refetch
	// (DefaultMaxKeyAge).
	MaxKeyAge time.Duration
	// Now returns the current time (time.Now).
	Now func() time.Time
}

// Validator checks Entra ID access tokens for one API. It is safe for
// concurrent use.
type Validator struct {
	opts      Options
	issuers   []string
	audiences []string
	keys      *keySet
	parser    *jwt.Parser
}

// New returns a Validator. It makes no request: the keys are fetched on
// the first Validate.
func New(opts Options) (*Validator, error) {
	if opts.AuthorityHost == "" {
		opts.AuthorityHost = DefaultAuthorityHost
	}
	opts.AuthorityHost = strings.TrimRight(opts.AuthorityHost, "/")
	if u, err := url.Parse(opts.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" {
		return nil, fmt.Errorf("callerauth: authority host %q must be an https scheme and host", opts.AuthorityHost)
	}
	if !isGUID(opts.TenantID) || !isGUID(opts.ClientID) {
		return nil, fmt.Errorf("callerauth: tenant id %q and client id %q must be GUIDs", opts.TenantID, opts.ClientID)
	}
	if opts.Leeway <= 0 {
		opts.Leeway = DefaultLeeway
	}
	if opts.MinRefreshInterval <= 0 {
		opts.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if opts.MaxKeyAge <= 0 {
		opts.MaxKeyAge = DefaultMaxKeyAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tenant := strings.ToLower(opts.TenantID)
	v := &Validator{
		opts:      opts,
		issuers:   []string{IssuerV2(opts.AuthorityHost, tenant)},
		audiences: []string{strings.ToLower(opts.ClientID), "api://" + strings.ToLower(opts.ClientID)},
	}
	if opts.AcceptV1 {
		v.issuers = append(v.issuers, IssuerV1(tenant))
	}
	ks, err := newKeySet(opts.AuthorityHost+"/"+tenant+"/v2.0/.well-known/openid-configuration", opts)
	if err != nil {
		return nil, err
	}
	v.keys = ks
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(opts.Now),
	)
	return v, nil
}

// IssuerV2 returns the v2 issuer of tenant at authority, as Entra's v2
// discovery document names it: <authority>/<tid>/v2.0.
func IssuerV2(authority, tenant string) string {
	return strings.TrimRight(authority, "/") + "/" + tenant + "/v2.0"
}

// IssuerV1 returns the v1 issuer of tenant, https://sts.windows.net/<tid>/,
// as the public cloud's v1 discovery document names it. (Other clouds'
// v1 issuers, such as Azure China's sts.chinacloudapi.cn, are not
// supported: use v2 tokens there.)
func IssuerV1(tenant string) string { return "https://sts.windows.net/" + tenant + "/" }

// Audiences returns the aud values the validator accepts.
func (v *Validator) Audiences() []string { return append([]string(nil), v.audiences...) }

// claims is the payload the validator reads.
type claims struct {
	jwt.RegisteredClaims
	TenantID string   `json:"tid"`
	ObjectID string   `json:"oid"`
	AppID    string   `json:"appid"`
	Azp      string   `json:"azp"`
	Version  string   `json:"ver"`
	Roles    []string `json:"roles"`
}

// Validate checks raw (the token without "Bearer ") and returns its
// caller. Errors match ErrInvalidToken or ErrKeysUnavailable and say what
// is wrong without quoting the token.
func (v *Validator) Validate(ctx context.Context, raw string) (Caller, error) {
	if raw == "" {
		return Caller{}, ErrNoToken
	}
	if len(raw) > MaxTokenLength {
		return Caller{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLength)
	}
	var c claims
	var keyErr error
	_, err := v.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token header names no kid")
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			keyErr = err
		}
		return k, err
	})
	switch {
	case keyErr != nil && errors.Is(keyErr, ErrKeysUnavailable):
		return Caller{}, keyErr
	case errors.Is(err, jwt.ErrTokenExpired):
		return Caller{}, fmt.Errorf("%w: expired (exp is more than %s ago); request a new token", ErrInvalidToken, v.opts.Leeway)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Caller{}, fmt.Errorf("%w: not valid yet (nbf in the future)", ErrInvalidToken)
	case err != nil:
		return Caller{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if !oneOf(c.Issuer, v.issuers) {
		return Caller{}, fmt.Errorf("%w: issuer %q is not %s", ErrInvalidToken, clip(c.Issuer), strings.Join(v.issuers, " or "))
	}
	if !strings.EqualFold(c.TenantID, v.opts.TenantID) {
		return Caller{}, fmt.Errorf("%w: tid %q is not tenant %s", ErrInvalidToken, clip(c.TenantID), v.opts.TenantID)
	}
	audOK := false
	for _, a := range c.Audience {
		audOK = audOK || oneOf(strings.ToLower(strings.TrimSuffix(a, "/")), v.audiences)
	}
	if !audOK {
		return Caller{}, fmt.Errorf("%w: audience %q is not %s; request the token for %s/.default", ErrInvalidToken,
			clip(strings.Join(c.Audience, ",")), strings.Join(v.audiences, " or "), v.audiences[1])
	}
	caller := Caller{ObjectID: c.ObjectID, TenantID: c.TenantID, Version: c.Version, Roles: c.Roles}
	switch {
	case c.Version == "2.0" && c.Issuer == v.issuers[0]:
		caller.AppID = c.Azp
	case c.Version == "1.0" && v.opts.AcceptV1 && c.Issuer == v.issuers[1]:
		caller.AppID = c.AppID
	default:
		return Caller{}, fmt.Errorf("%w: ver %q does not match issuer %q", ErrInvalidToken, clip(c.Version), c.Issuer)
	}
	if caller.ObjectID == "" {
		return Caller{}, fmt.Errorf("%w: no oid claim", ErrInvalidToken)
	}
	return caller, nil
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

// clip bounds claim values quoted in errors.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
