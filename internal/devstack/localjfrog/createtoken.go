package localjfrog

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// defaultTokenExpiry is the expires_in of POST /access/api/v1/tokens when
// the request gives none (INFERRED: JFrog's default depends on its
// configuration).
const defaultTokenExpiry = 3600

// createTokenRequest is the body of POST /access/api/v1/tokens (JSON or
// form-encoded, as frogml sends it).
type createTokenRequest struct {
	GrantType   string `json:"grant_type"`
	Username    string `json:"username"`
	Scope       string `json:"scope"`
	ExpiresIn   *int64 `json:"expires_in"`
	Refreshable bool   `json:"refreshable"`
	Description string `json:"description"`
	Audience    string `json:"audience"`
}

// parseCreateToken decodes a create-token body and fills JFrog's defaults.
func parseCreateToken(contentType string, b []byte) (createTokenRequest, error) {
	var req createTokenRequest
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" {
		if err := decodeObject(b, &req); err != nil {
			return req, err
		}
	} else {
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return req, fmt.Errorf("invalid form body: %w", err)
		}
		req.GrantType, req.Username, req.Scope = form.Get("grant_type"), form.Get("username"), form.Get("scope")
		req.Description, req.Audience = form.Get("description"), form.Get("audience")
		req.Refreshable = form.Get("refreshable") == "true"
		if v := form.Get("expires_in"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return req, errors.New("expires_in must be a number of seconds")
			}
			req.ExpiresIn = &n
		}
	}
	if req.GrantType == "" {
		req.GrantType = "client_credentials"
	}
	if req.GrantType != "client_credentials" {
		return req, errors.New("grant_type must be client_credentials (refresh tokens are not issued by the local stack)")
	}
	if req.Scope == "" {
		req.Scope = scopeUser
	}
	if !scopeRE.MatchString(req.Scope) {
		return req, errors.New("scope must be applied-permissions/admin, applied-permissions/user or applied-permissions/groups:<names>")
	}
	if req.Audience == "" {
		req.Audience = "*@*"
	}
	if req.ExpiresIn == nil {
		n := int64(defaultTokenExpiry)
		req.ExpiresIn = &n
	}
	if *req.ExpiresIn < 0 {
		return req, errors.New("expires_in must not be negative")
	}
	if !validUsername(req.Username) && req.Username != "" {
		return req, errors.New("username cannot contain '/', spaces or control characters")
	}
	return req, nil
}

// handleCreateToken: an admin creates tokens for anyone; a user creates
// expiring tokens for itself with its own scope or applied-permissions/user.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := parseCreateToken(r.Header.Get("Content-Type"), b)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid token request: "+err.Error())
		return
	}
	if req.Username == "" {
		req.Username = p.Username
	}
	if !p.Admin && (req.Username != p.Username || *req.ExpiresIn == 0 || (req.Scope != p.Scope && req.Scope != scopeUser)) {
		writeError(w, r, http.StatusForbidden, "A non-admin token may only create expiring tokens for its own user with its own scope")
		return
	}
	tok, jti, err := s.issueToken(req.Username, req.Scope, req.Audience, *req.ExpiresIn, req.Description)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := struct {
		TokenID     string `json:"token_id"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in,omitempty"`
		Scope       string `json:"scope"`
		TokenType   string `json:"token_type"`
	}{jti, tok, *req.ExpiresIn, req.Scope, "access_token"}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// validUsername reports whether u can be the last segment of a token
// subject (jfac@.../users/u).
func validUsername(u string) bool {
	return u != "" && len(u) <= 255 && !strings.ContainsFunc(u, func(r rune) bool {
		return r == '/' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
}
