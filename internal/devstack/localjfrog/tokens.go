package localjfrog

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenInfo is JFrog's token description (GET /access/api/v1/tokens/{id}).
type tokenInfo struct {
	TokenID     string `json:"token_id"`
	Subject     string `json:"subject"`
	Expiry      int64  `json:"expiry,omitempty"`
	IssuedAt    int64  `json:"issued_at"`
	Issuer      string `json:"issuer"`
	Description string `json:"description,omitempty"`
	Refreshable bool   `json:"refreshable"`
}

// issueToken signs a new access token and records it so that it can be
// listed and revoked, unless its lifetime is below the persistency
// threshold. expiresIn 0 means a token without exp.
func (s *Server) issueToken(username, scope, audience string, expiresIn int64, description string) (string, string, error) {
	jti, err := newUUID()
	if err != nil {
		return "", "", err
	}
	iss := s.issuer()
	now := s.now()
	rec := &tokenRecord{
		Subject:     iss + "/users/" + username,
		Scope:       scope,
		Audience:    audience,
		IssuedAt:    now.Unix(),
		Description: description,
	}
	claims := jwt.MapClaims{
		"sub": rec.Subject,
		"scp": scope,
		"aud": audience,
		"iss": iss,
		"iat": rec.IssuedAt,
		"jti": jti,
	}
	if expiresIn > 0 {
		rec.Expiry = now.Add(time.Duration(expiresIn) * time.Second).Unix()
		claims["exp"] = rec.Expiry
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.signer.kid
	t.Header["ver"] = "2"
	signed, err := t.SignedString(s.signer.key)
	if err != nil {
		return "", "", fmt.Errorf("sign access token: %w", err)
	}
	if !s.persisted(expiresIn) {
		// Below the persistent-expiry-threshold JFrog does not store the
		// token (thresholds.go).
		return signed, jti, nil
	}
	rec.NonRevocable = !s.revocable(expiresIn)
	err = s.access.update(func(a *accessState) error {
		pruneTokens(a, now)
		a.Tokens[jti] = rec
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("record access token: %w", err)
	}
	return signed, jti, nil
}

// initAdminToken uses Options.AdminToken, or the token generated on a
// previous start, or generates and persists one.
func (s *Server) initAdminToken() error {
	if s.opts.AdminToken != "" {
		s.adminToken = s.opts.AdminToken
		return nil
	}
	s.access.view(func(a *accessState) { s.adminToken = a.AdminToken })
	if s.adminToken != "" {
		return nil
	}
	tok, jti, err := s.issueToken("admin", scopeAdmin, "*@*", 0, "devstack admin token")
	if err != nil {
		return fmt.Errorf("generate admin token: %w", err)
	}
	err = s.access.update(func(a *accessState) error {
		a.AdminToken, a.AdminTokenID = tok, jti
		return nil
	})
	if err != nil {
		return fmt.Errorf("persist admin token: %w", err)
	}
	s.adminToken = tok
	return nil
}

// info describes the token with id jti, or reports false.
func (s *Server) info(jti string) (tokenInfo, bool) {
	var out tokenInfo
	var ok bool
	iss := s.issuer()
	s.access.view(func(a *accessState) {
		t, found := a.Tokens[jti]
		if !found || t.Revoked {
			return
		}
		ok = true
		out = tokenInfo{TokenID: jti, Subject: t.Subject, Expiry: t.Expiry, IssuedAt: t.IssuedAt, Issuer: iss, Description: t.Description}
	})
	return out, ok
}

func (s *Server) handleGetToken(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id := r.PathValue("id")
	if id == "me" {
		id = p.TokenID
	}
	if p.Configured && id == p.TokenID {
		var created time.Time
		s.access.view(func(a *accessState) { created = a.Created })
		writeJSON(w, http.StatusOK, "application/json", tokenInfo{
			TokenID: p.TokenID, Subject: p.Subject, IssuedAt: created.Unix(), Issuer: s.issuer(), Description: "devstack admin token",
		})
		return
	}
	info, ok := s.info(id)
	if !ok {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Token with id '%s' not found", id))
		return
	}
	if !p.Admin && info.Subject != p.Subject {
		writeError(w, r, http.StatusForbidden, "A token may only be read by its owner or an admin")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", info)
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var ids []string
	now := s.now().Unix()
	s.access.view(func(a *accessState) {
		for id, t := range a.Tokens {
			if t.Revoked || (t.Expiry != 0 && t.Expiry < now) || (!p.Admin && t.Subject != p.Subject) {
				continue
			}
			ids = append(ids, id)
		}
	})
	sort.Strings(ids)
	out := struct {
		Tokens []tokenInfo `json:"tokens"`
	}{Tokens: []tokenInfo{}}
	for _, id := range ids {
		if info, ok := s.info(id); ok {
			out.Tokens = append(out.Tokens, info)
		}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// handleRevokeToken revokes by id: 200 when revoked now, 204 when the token
// is unknown, already revoked, not stored or not revocable, like JFrog
// Access (thresholds.go).
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id := r.PathValue("id")
	if id == "me" {
		id = p.TokenID
	}
	status, msg, err := s.revoke(p, id)
	switch {
	case err != nil:
		s.internalError(w, r, err)
	case msg != "":
		writeError(w, r, status, msg)
	default:
		w.WriteHeader(status)
	}
}

// revoke marks token id revoked for caller p. It returns 200 or 204, or an
// error status with its message.
func (s *Server) revoke(p principal, id string) (int, string, error) {
	var adminID string
	s.access.view(func(a *accessState) { adminID = a.AdminTokenID })
	if (p.Configured && id == p.TokenID) || (adminID != "" && id == adminID) {
		return http.StatusForbidden, "The devstack admin token cannot be revoked; start devstack with a new data folder to replace it", nil
	}
	status := http.StatusOK
	err := s.access.update(func(a *accessState) error {
		t, ok := a.Tokens[id]
		if !ok || t.Revoked {
			status = http.StatusNoContent
			return nil
		}
		if !p.Admin && t.Subject != p.Subject {
			return errForbidden
		}
		if t.NonRevocable {
			// Below the revocable-expiry-threshold: nothing is revoked and
			// the answer is the 204 of a token JFrog cannot revoke
			// (thresholds.go; the status is unverified).
			status = http.StatusNoContent
			return nil
		}
		t.Revoked = true
		return nil
	})
	switch {
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "A token may only be revoked by its owner or an admin", nil
	case err != nil:
		return 0, "", err
	}
	if status == http.StatusOK {
		s.log.Info().Str("token_id", id).Msg("access token revoked")
	}
	return status, "", nil
}

func (s *Server) handleRootCert(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(base64.StdEncoding.EncodeToString(s.signer.certDER)))
}

// parseRevokeByValue decodes {"token":"<jwt>"}.
func parseRevokeByValue(b []byte) (string, error) {
	var body struct {
		Token string `json:"token"`
	}
	if err := decodeObject(b, &body); err != nil {
		return "", err
	}
	if body.Token == "" {
		return "", errors.New("token is required")
	}
	return body.Token, nil
}

// handleRevokeByValue: DELETE /access/api/v1/tokens/revoke (admin) revokes
// the token given in the body and names its id.
func (s *Server) handleRevokeByValue(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	tok, err := parseRevokeByValue(b)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid revoke request: "+err.Error())
		return
	}
	claims, err := s.verifyAccessToken(tok)
	jti, _ := claims["jti"].(string)
	if (err != nil && !errors.Is(err, jwt.ErrTokenExpired)) || jti == "" {
		writeError(w, r, http.StatusBadRequest, "The token was not issued by this JFrog Access instance")
		return
	}
	status, msg, err := s.revoke(principalFrom(r.Context()), jti)
	switch {
	case err != nil:
		s.internalError(w, r, err)
	case msg != "":
		writeError(w, r, status, msg)
	default:
		writeJSON(w, http.StatusOK, "application/json", map[string]string{"revoked-token-id": jti})
	}
}
