package jfrog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const (
	tokensPath   = "/access/api/v1/tokens/"
	tokensMePath = "/access/api/v1/tokens/me"

	maxTokenInfo = 1 << 20
)

// TokenInfo describes an access token as the Access API reports it.
type TokenInfo struct {
	// TokenID is the token's id (the jti claim).
	TokenID string
	// Subject is the token's subject, such as "jfac@…/users/alice".
	Subject string
	// Username is derived from Subject.
	Username string
	// Issuer is the issuing Access instance.
	Issuer string
	// ExpiresOn is the expiry; zero when the token does not expire or the
	// reply does not say.
	ExpiresOn time.Time
	// IssuedAt is the issue time; zero when the reply does not say.
	IssuedAt time.Time
}

// tokenInfoReply is the JSON reply of GET /access/api/v1/tokens/{id|me}.
type tokenInfoReply struct {
	TokenID  string          `json:"token_id"`
	Subject  string          `json:"subject"`
	Issuer   string          `json:"issuer"`
	Expiry   json.RawMessage `json:"expiry"`
	IssuedAt json.RawMessage `json:"issued_at"`
}

// Me reports on token itself (GET /access/api/v1/tokens/me). It is the way to
// prove a token works: a ping succeeds even with a bad credential. A 401
// matches upstream.ErrUnauthorized.
func (c *Client) Me(ctx context.Context, token secret.Token) (TokenInfo, error) {
	if token.IsZero() {
		return TokenInfo{}, errors.New("jfrog: tokens/me: empty token")
	}
	req, err := c.newRequest(ctx, http.MethodGet, tokensMePath, token, nil)
	if err != nil {
		return TokenInfo{}, err
	}
	resp, err := c.send(req, meHint, http.StatusOK)
	if err != nil {
		return TokenInfo{}, err
	}
	raw, err := readBody(resp, maxTokenInfo)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(tokensMePath), err)
	}
	info, err := ParseTokenInfo(raw)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("jfrog: GET %s: %w", c.endpoint(tokensMePath), err)
	}
	return info, nil
}

func meHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "the access token was rejected (expired, revoked or from another platform)"
	case http.StatusNotFound:
		return "tokens/me needs JFrog Access 7.53.1 or later, and JFrog keeps no record of a token whose lifetime is below its persistent-expiry-threshold (3 h by default)"
	}
	return ""
}

// ParseTokenInfo decodes a token description from the Access API. Times may
// be Unix seconds, Unix milliseconds, numeric strings or RFC 3339.
func ParseTokenInfo(body []byte) (TokenInfo, error) {
	var r tokenInfoReply
	if err := json.Unmarshal(body, &r); err != nil {
		return TokenInfo{}, fmt.Errorf("token description is not valid JSON: %w", upstream.ErrUnavailable)
	}
	exp, err := parseTime(r.Expiry)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("token description: expiry: %w: %w", err, upstream.ErrUnavailable)
	}
	iat, err := parseTime(r.IssuedAt)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("token description: issued_at: %w: %w", err, upstream.ErrUnavailable)
	}
	return TokenInfo{
		TokenID:   r.TokenID,
		Subject:   r.Subject,
		Username:  UsernameFromSubject(r.Subject),
		Issuer:    r.Issuer,
		ExpiresOn: exp,
		IssuedAt:  iat,
	}, nil
}

// parseTime reads a JSON time given as seconds or milliseconds since the
// epoch (number or string) or RFC 3339; absent or null is the zero time.
func parseTime(raw json.RawMessage) (time.Time, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	n, err := json.Number(s).Int64()
	if err != nil || n < 0 {
		return time.Time{}, errors.New("not a time")
	}
	if n > 1e11 { // milliseconds
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// RevocableExpiryThreshold is the default of JFrog Access's
// revocable-expiry-threshold: a token whose lifetime is below it "will not
// be revocable until it expires naturally" (JFrog Platform Administration
// documentation, "Generate Expirable Tokens" and "The
// revocable-expiry-threshold"). An administrator can change it in the
// Access YAML configuration; the API does not report it.
const RevocableExpiryThreshold = 6 * time.Hour

// PersistentExpiryThreshold is the default of JFrog Access's
// persistent-expiry-threshold: a token whose lifetime is below it is not
// saved in Access's database (JFrog Platform Administration documentation,
// "Persistency Threshold"), so it cannot be described or revoked.
const PersistentExpiryThreshold = 3 * time.Hour

// Revoke revokes the token with id tokenID (DELETE
// /access/api/v1/tokens/{id}), authenticating with token: an admin token, or
// a token of the same user. It reports true only for 200, "Token was
// revoked". A 204 reports false with no error: JFrog answers 204 when it
// has no record of the id, "e.g., already revoked" (JFrog REST APIs,
// Revoke Token by ID), which is also what a token below the persistency
// threshold gets, and a token below the revocable-expiry threshold is not
// revoked whatever the answer; in neither case may the caller assume the
// token stopped working. Revoke is safe to retry.
func (c *Client) Revoke(ctx context.Context, token secret.Token, tokenID string) (revoked bool, err error) {
	if token.IsZero() {
		return false, errors.New("jfrog: revoke: empty token")
	}
	if strings.TrimSpace(tokenID) == "" {
		return false, errors.New("jfrog: revoke: empty token id")
	}
	path := tokensPath + url.PathEscape(tokenID)
	req, err := c.newRequest(ctx, http.MethodDelete, path, token, nil)
	if err != nil {
		return false, err
	}
	resp, err := c.send(req, revokeHint, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return false, err
	}
	_, _ = readBody(resp, maxTokenInfo)
	return resp.StatusCode == http.StatusOK, nil
}

func revokeHint(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "the token was issued by another Access instance and cannot be revoked here"
	case http.StatusUnauthorized:
		return "the token used to authenticate the revocation was rejected"
	case http.StatusForbidden:
		return "revoking another user's token needs an admin token; a user may revoke only its own tokens"
	}
	return ""
}
