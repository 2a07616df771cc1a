package entra

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Well-known Azure resources that accept v1 tokens (aud = the requested
// resource, iss = https://sts.windows.net/<tenant>/, appid).
var azureResources = []string{
	"https://vault.azure.net",
	"https://storage.azure.com",
	"https://management.azure.com",
	"https://management.core.windows.net",
}

// Sentinel errors of token issuance and verification.
var (
	// ErrUnknownResource: no Azure resource or app registration matches.
	ErrUnknownResource = errors.New("resource principal not found in the tenant")
	// ErrUnknownIdentity: the host has no identity with the requested id.
	ErrUnknownIdentity = errors.New("identity not found")
	// ErrInvalidToken: the token is malformed, not signed by the tenant,
	// or from another issuer.
	ErrInvalidToken = errors.New("invalid token")
	// ErrTokenExpired: the token's exp is in the past (or nbf in the future).
	ErrTokenExpired = errors.New("token expired or not yet valid")
	// ErrAudience: the token's aud is not one the caller accepts.
	ErrAudience = errors.New("invalid audience")
)

// Claims are the verified claims of an access token that relying parties
// of the local stack use.
type Claims struct {
	Issuer    string
	Audience  string
	Subject   string
	ObjectID  string
	TenantID  string
	AppID     string // appid (v1) or azp (v2): the managed identity's client id
	Version   string // "1.0" or "2.0"
	ExpiresAt time.Time
}

// tokenClaims is the JSON payload of an issued token.
type tokenClaims struct {
	Aud     string   `json:"aud"`
	Iss     string   `json:"iss"`
	Iat     int64    `json:"iat"`
	Nbf     int64    `json:"nbf"`
	Exp     int64    `json:"exp"`
	Aio     string   `json:"aio"`
	AppID   string   `json:"appid,omitempty"`
	AppIDAC string   `json:"appidacr,omitempty"`
	Azp     string   `json:"azp,omitempty"`
	AzpAC   string   `json:"azpacr,omitempty"`
	Idp     string   `json:"idp,omitempty"`
	Idtyp   string   `json:"idtyp"`
	Oid     string   `json:"oid"`
	Rh      string   `json:"rh"`
	Sub     string   `json:"sub"`
	Tid     string   `json:"tid"`
	Uti     string   `json:"uti"`
	Ver     string   `json:"ver"`
	MirID   string   `json:"xms_mirid,omitempty"`
	Roles   []string `json:"roles,omitempty"`
}

func (c tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Exp, 0)), nil
}
func (c tokenClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Iat, 0)), nil
}
func (c tokenClaims) GetNotBefore() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Nbf, 0)), nil
}
func (c tokenClaims) GetIssuer() (string, error)             { return c.Iss, nil }
func (c tokenClaims) GetSubject() (string, error)            { return c.Sub, nil }
func (c tokenClaims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Aud}, nil }

// V1Issuer returns the issuer of v1 tokens for tenant.
func V1Issuer(tenant string) string { return "https://sts.windows.net/" + tenant + "/" }

// resolve maps a requested resource to the token's audience and version.
func (s *Server) resolve(resource string) (aud string, v2 bool, err error) {
	trimmed := strings.TrimSuffix(resource, "/")
	for _, r := range azureResources {
		if strings.EqualFold(trimmed, r) {
			return resource, false, nil
		}
	}
	for _, a := range s.cfg.Apps {
		match := strings.EqualFold(trimmed, a.ClientID)
		for _, u := range a.IdentifierURIs {
			match = match || strings.EqualFold(trimmed, strings.TrimSuffix(u, "/"))
		}
		if !match {
			continue
		}
		if a.AccessTokenVersion == 2 {
			// A v2 token's aud is always the API's client id.
			return a.ClientID, true, nil
		}
		return resource, false, nil
	}
	return "", false, fmt.Errorf("%w: %s (tenant %s; add an app registration to %s)", ErrUnknownResource, resource, s.cfg.TenantID, configFile)
}

// Issue signs an access token for identity to call resource and returns it
// with its expiry.
func (s *Server) Issue(identity Identity, resource string) (string, time.Time, error) {
	aud, v2, err := s.resolve(resource)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	exp := now.Add(s.lifetime)
	c := tokenClaims{
		Aud:   aud,
		Iat:   now.Add(-5 * time.Minute).Unix(),
		Nbf:   now.Add(-5 * time.Minute).Unix(),
		Exp:   exp.Unix(),
		Aio:   randomOpaque(40),
		Idtyp: "app",
		Oid:   identity.ObjectID,
		Rh:    "0." + randomOpaque(60) + ".",
		Sub:   identity.ObjectID,
		Tid:   s.cfg.TenantID,
		Uti:   randomOpaque(16),
		MirID: identity.ResourceID,
	}
	if v2 {
		c.Iss = s.IssuerV2()
		c.Azp, c.AzpAC, c.Ver = identity.ClientID, "2", "2.0"
	} else {
		c.Iss = V1Issuer(s.cfg.TenantID)
		c.Idp = c.Iss
		c.AppID, c.AppIDAC, c.Ver = identity.ClientID, "2", "1.0"
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = s.key.kid
	t.Header["x5t"] = s.key.kid
	signed, err := t.SignedString(s.key.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, time.Unix(exp.Unix(), 0), nil
}

// VerifyAccessToken checks the token's signature (the tenant's key), its
// issuer (the tenant's v1 or v2 issuer), its expiry and that its audience is
// one of audiences, and returns its claims. Errors match ErrInvalidToken,
// ErrTokenExpired or ErrAudience.
func (s *Server) VerifyAccessToken(raw string, audiences ...string) (Claims, error) {
	var c tokenClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.key.kid {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		return &s.key.key.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet):
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if c.Tid != s.cfg.TenantID || (c.Iss != V1Issuer(s.cfg.TenantID) && c.Iss != s.IssuerV2()) {
		return Claims{}, fmt.Errorf("%w: issuer %q is not this tenant's", ErrInvalidToken, c.Iss)
	}
	ok := false
	for _, a := range audiences {
		ok = ok || strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(c.Aud, "/"))
	}
	if !ok {
		return Claims{}, fmt.Errorf("%w: expected %s, found %s", ErrAudience, strings.Join(audiences, " or "), c.Aud)
	}
	app := c.AppID
	if c.Ver == "2.0" {
		app = c.Azp
	}
	return Claims{
		Issuer: c.Iss, Audience: c.Aud, Subject: c.Sub, ObjectID: c.Oid, TenantID: c.Tid,
		AppID: app, Version: c.Ver, ExpiresAt: time.Unix(c.Exp, 0),
	}, nil
}

func randomOpaque(n int) string {
	b := make([]byte, n*3/4+1)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("entra: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
