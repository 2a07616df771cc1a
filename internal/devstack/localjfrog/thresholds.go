package localjfrog

import (
	"cmp"
	"time"
)

// JFrog Access's token thresholds, as JFrog documents them (JFrog Platform
// Administration documentation, "Use the Revocable and Persistency
// Thresholds", https://jfrog.com/help/r/jfrog-platform-administration-documentation/use-the-revocable-and-persistency-thresholds,
// and its pages revocable-expiry-threshold, persistency-threshold and
// relationship-between-the-two-thresholds):
//
//   - revocable-expiry-threshold, default 6 h: "A token with an expiry
//     (expirationTime-issuedAt) below this value will not be revocable
//     (tokens without an expiry are always revocable)".
//   - persistent-expiry-threshold, default 3 h: the "minimal expiry value a
//     token must have in order to be saved in the database"; negative means
//     every token is persistent.
//   - persistentExpiryThreshold <= revocableExpiryThreshold; a higher
//     persistency threshold is "aligned to the same number as the revocable
//     threshold" at start.
//
// What the Access API answers for such tokens:
//
//   - DELETE /access/api/v1/tokens/{id} of a token that is not stored:
//     "If the token ID is not found (e.g., already revoked) - return 204"
//     (JFrog REST APIs, Revoke Token by ID). The token keeps working until
//     it expires.
//   - DELETE of a stored but non-revocable token: the documentation is
//     silent on the status. The local JFrog takes the most conservative
//     reading for a client: the same 204 as for a token it cannot find,
//     revoking nothing, so that only a 200 may ever be read as "revoked".
//   - GET /access/api/v1/tokens/{id} of a token that is not stored: 404
//     (observed by JFrog's terraform provider, jfrog/terraform-provider-artifactory
//     #684 and #980, which added a 404 check and a persistency-threshold
//     warning in PRs #691 and #981); the token is also absent from GET
//     /access/api/v1/tokens. For GET .../tokens/me the documentation is
//     silent; the local JFrog answers 404 as for the id (unverified).
//   - A token that is not stored still authenticates until it expires: it
//     is a signed JWT and non-persistency exists to spare the database, not
//     to refuse the token.
const (
	defaultRevocableExpiryThreshold  = 6 * time.Hour
	defaultPersistentExpiryThreshold = 3 * time.Hour
)

// thresholds returns the effective revocable and persistent expiry
// thresholds; a negative value is kept (it means "every expiring token is
// non-revocable" and "every token is stored").
func (s *Server) thresholds() (revocable, persistent time.Duration) {
	revocable, persistent = time.Duration(s.revocableThreshold.Load()), time.Duration(s.persistentThreshold.Load())
	if revocable == 0 {
		revocable = defaultRevocableExpiryThreshold
	}
	if persistent == 0 {
		persistent = defaultPersistentExpiryThreshold
	}
	if revocable > 0 && persistent > revocable {
		persistent = revocable
	}
	return revocable, persistent
}

// Thresholds reports the revocable and persistent expiry thresholds in
// force (defaults applied, the persistency threshold aligned).
func (s *Server) Thresholds() (revocable, persistent time.Duration) { return s.thresholds() }

// SetThresholds changes the revocable and persistent expiry thresholds for
// tokens issued from now on, as an administrator editing Access's YAML
// configuration would (zero: JFrog's default; see Options). Tests use it
// to cover both sides of each threshold.
func (s *Server) SetThresholds(revocable, persistent time.Duration) {
	if r, p := cmp.Or(revocable, defaultRevocableExpiryThreshold), cmp.Or(persistent, defaultPersistentExpiryThreshold); r > 0 && p > r {
		s.log.Error().Dur("persistent_expiry_threshold", p).Dur("revocable_expiry_threshold", r).
			Msg("the persistency threshold is above the revocable threshold; aligned to the revocable threshold, as JFrog Access does")
	}
	s.revocableThreshold.Store(int64(revocable))
	s.persistentThreshold.Store(int64(persistent))
}

// persisted reports whether a token of lifetime expiresIn seconds (0: no
// expiry) is stored.
func (s *Server) persisted(expiresIn int64) bool {
	_, p := s.thresholds()
	return expiresIn == 0 || p < 0 || time.Duration(expiresIn)*time.Second >= p
}

// revocable reports whether a token of lifetime expiresIn seconds is
// revocable.
func (s *Server) revocable(expiresIn int64) bool {
	r, _ := s.thresholds()
	return expiresIn == 0 || r > 0 && time.Duration(expiresIn)*time.Second >= r
}
