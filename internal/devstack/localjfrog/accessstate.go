package localjfrog

import "time"

// accessState is everything JFrog Access keeps: the service identity, the
// OIDC configuration and the issued tokens (for revocation).
type accessState struct {
	ServiceID    string                                 `json:"service_id"`
	Created      time.Time                              `json:"created"`
	AdminToken   string                                 `json:"admin_token,omitempty"`
	AdminTokenID string                                 `json:"admin_token_id,omitempty"`
	Providers    map[string]*provider                   `json:"providers"`
	Mappings     map[string]map[string]*identityMapping `json:"identity_mappings"`
	Tokens       map[string]*tokenRecord                `json:"tokens"`
}

// tokenRecord is what Access remembers about an issued token; never the
// token itself.
type tokenRecord struct {
	Subject     string `json:"subject"`
	Scope       string `json:"scope"`
	Audience    string `json:"audience"`
	IssuedAt    int64  `json:"issued_at"`
	Expiry      int64  `json:"expiry,omitempty"`
	Description string `json:"description,omitempty"`
	Revoked     bool   `json:"revoked,omitempty"`
	// NonRevocable marks a token below the revocable-expiry-threshold.
	NonRevocable bool `json:"non_revocable,omitempty"`
}

func normalizeAccess(a *accessState) {
	if a.Providers == nil {
		a.Providers = map[string]*provider{}
	}
	if a.Mappings == nil {
		a.Mappings = map[string]map[string]*identityMapping{}
	}
	if a.Tokens == nil {
		a.Tokens = map[string]*tokenRecord{}
	}
}

// pruneTokens forgets tokens that expired more than a day ago: they are
// refused for their expiry anyway.
func pruneTokens(a *accessState, now time.Time) {
	limit := now.Add(-24 * time.Hour).Unix()
	for id, t := range a.Tokens {
		if t.Expiry != 0 && t.Expiry < limit {
			delete(a.Tokens, id)
		}
	}
}
