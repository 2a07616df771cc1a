package entra

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Workload identity federation, small: a local issuer stands in for
// GitHub Actions' OIDC provider (https://token.actions.githubusercontent.com,
// whose discovery document is at /.well-known/openid-configuration and
// whose keys are at /.well-known/jwks), a client trusts its tokens for a
// subject through a federated identity credential, and the token endpoint
// takes such a token as client_assertion with client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer, as azure/login and
// azidentity's ClientAssertionCredential send it ("Microsoft identity
// platform and the OAuth 2.0 client credentials flow", third case:
// federated credential). Only this local issuer is trusted: the tenant
// fetches no outside keys.

// Paths and values of the local workload issuer.
const (
	// GitHubIssuerPath is the path of the local stand-in for GitHub Actions'
	// issuer on the issuer listener.
	GitHubIssuerPath = "/github-actions"
	// ExchangeAudience is the audience Entra expects in federated
	// assertions by default.
	ExchangeAudience   = "api://AzureADTokenExchange"
	assertionType      = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	workloadTokenLife  = 5 * time.Minute
	maxAssertionLength = 16 << 10
)

// FederatedCredential trusts the tokens of Issuer whose sub is Subject and
// whose aud holds one of Audiences (default ExchangeAudience), as an Entra
// federated identity credential does.
type FederatedCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences,omitempty"`
}

// GitHubIssuer returns the local workload issuer, BaseURL/github-actions.
func (s *Server) GitHubIssuer() string { return s.base + GitHubIssuerPath }

// workloadClaims are the claims of a workload token that Entra checks.
type workloadClaims struct {
	jwt.RegisteredClaims
	Repository string `json:"repository,omitempty"`
}

// IssueWorkloadToken signs a token of the local workload issuer for
// subject and audience (ExchangeAudience when empty), as GitHub Actions'
// ACTIONS_ID_TOKEN_REQUEST_URL answers a job that has id-token: write.
func (s *Server) IssueWorkloadToken(subject, audience string) (string, error) {
	if !strings.HasPrefix(subject, "repo:") {
		return "", errors.New("a GitHub Actions subject starts with repo:ORG/REPO:")
	}
	if audience == "" {
		audience = ExchangeAudience
	}
	now := s.now()
	repo, _, _ := strings.Cut(strings.TrimPrefix(subject, "repo:"), ":")
	c := workloadClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: s.GitHubIssuer(), Subject: subject, Audience: jwt.ClaimStrings{audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(workloadTokenLife)), ID: NewUUID(),
	}, Repository: repo}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = s.key.kid
	return t.SignedString(s.key.key)
}

// AddFederatedCredential adds a federated identity credential to a client
// (by name, client id or object id).
func (s *Server) AddFederatedCredential(client string, fc FederatedCredential) (FederatedCredential, error) {
	if fc.Name == "" || !strings.HasPrefix(fc.Issuer, "https://") || fc.Subject == "" {
		return fc, errors.New("a federated credential needs a name, an https issuer and a subject")
	}
	if len(fc.Audiences) == 0 {
		fc.Audiences = []string{ExchangeAudience}
	}
	d := s.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.clientIndexLocked(client)
	if i < 0 {
		return fc, fmt.Errorf("no client application %q (register it first)", client)
	}
	fcs := d.Clients[i].Federated[:0:0]
	for _, have := range d.Clients[i].Federated {
		if have.Name != fc.Name {
			fcs = append(fcs, have)
		}
	}
	d.Clients[i].Federated = append(fcs, fc)
	return fc, d.saveLocked()
}

// authenticateAssertion checks a federated client assertion for clientID:
// signed by the local workload issuer, not expired, and matching one of
// the client's federated credentials by issuer, subject and audience.
func (s *Server) authenticateAssertion(clientID, assertion string) (Client, int, string) {
	client, ok := s.client(clientID)
	if !ok {
		return client, 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, s.cfg.TenantID)
	}
	if len(assertion) > maxAssertionLength {
		return client, 50027, "Invalid JWT token: the assertion is too long."
	}
	var c workloadClaims
	_, err := jwt.ParseWithClaims(assertion, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.key.kid {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		return &s.key.key.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuer(s.GitHubIssuer()), jwt.WithTimeFunc(s.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return client, 700024, "Client assertion is not within its valid time range."
	case err != nil:
		return client, 700211, "No matching federated identity record found for presented assertion issuer (only this tenant's local workload issuer " + s.GitHubIssuer() + " is trusted): " + err.Error()
	}
	for _, fc := range client.Federated {
		if fc.Issuer != c.Issuer {
			continue
		}
		if fc.Subject != c.Subject {
			continue
		}
		for _, a := range fc.Audiences {
			for _, got := range c.Audience {
				if a == got {
					return client, 0, ""
				}
			}
		}
		return client, 700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", strings.Join(c.Audience, ","))
	}
	return client, 70021, fmt.Sprintf("No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'.", c.Issuer, c.Subject)
}

// serveWorkloadDiscovery serves the local workload issuer's discovery
// document and keys, shaped like GitHub Actions'.
func (s *Server) serveWorkloadDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.GitHubIssuer(),
		"jwks_uri":                              s.GitHubIssuer() + "/.well-known/jwks",
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_owner", "run_id", "workflow", "environment"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
	})
}

func (s *Server) serveWorkloadKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]jwk{"keys": {s.key.jwk("")}})
}
