package rotation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// cleanupContext outlives the caller's deadline for a bounded time.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// revokeNew revokes a token this run minted and will not store.
func (s *Service) revokeNew(ctx context.Context, log zerolog.Logger, ex jfrog.ExchangeResponse, why string) {
	if ex.TokenID == "" {
		log.Warn().Str("why", why).Msg("new token has no id and cannot be revoked; it lapses at its expiry")
		return
	}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	revoked, err := s.deps.Revoker.Revoke(cctx, ex.AccessToken, ex.TokenID)
	switch {
	case err != nil:
		log.Warn().Err(err).Str("why", why).Msg("revoke new token")
	case !revoked:
		log.Warn().Str("why", why).Msg("JFrog did not revoke the new token (204: not stored or not revocable); it lapses at its expiry")
	default:
		log.Info().Str("why", why).Msg("revoked new token")
	}
}

// storeOutcome decides what a failed Put means. A definite refusal (4xx
// other than 408 and 429) stored nothing: the new token is revoked. After
// an ambiguous failure (timeout, dropped connection, 408, 429, 5xx) the
// write may have landed, or may still land after any read: the latest
// version is read back, and if it holds the new token the rotation
// succeeded (landed is true); otherwise the new token is never revoked —
// it may yet become the latest version — and lapses at its expiry. A
// later timer run replaces it should JFrog refuse it (see refused). props
// are the stored version's when landed.
func (s *Service) storeOutcome(ctx context.Context, log zerolog.Logger, ex jfrog.ExchangeResponse, putErr error) (landed bool, props keyvault.Properties) {
	var re *upstream.ResponseError
	if errors.As(putErr, &re) && re.StatusCode >= 400 && re.StatusCode < 500 && re.StatusCode != 408 && re.StatusCode != 429 {
		s.revokeNew(ctx, log, ex, "Key Vault refused to store it")
		return false, props
	}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	cur, err := s.deps.Store.Current(cctx)
	if err != nil {
		log.Warn().Err(err).Msg("cannot tell whether the new version was stored; leaving the new token to expire")
		return false, props
	}
	if cur.AccessToken == ex.AccessToken {
		return true, cur.Properties
	}
	log.Warn().Msg("the new version is not the latest yet; the write may still land, so the new token is left to expire rather than revoked")
	return false, props
}

// revokePrevious revokes the replaced token, authenticating with the new
// token (same user) and, if that is refused, with the old token itself. It
// reports whether JFrog revoked it and, when not, why.
func (s *Service) revokePrevious(ctx context.Context, log zerolog.Logger, prev keyvault.Credentials, ex jfrog.ExchangeResponse) (bool, string) {
	id := prev.TokenID()
	if id == "" {
		id = jfrog.TokenID(prev.AccessToken)
	}
	switch {
	case id == "":
		return false, "the previous token has no token id to revoke"
	case id == ex.TokenID || prev.AccessToken == ex.AccessToken:
		return false, "JFrog returned the previous token again"
	}
	revoked, err := s.deps.Revoker.Revoke(ctx, ex.AccessToken, id)
	if errors.Is(err, upstream.ErrForbidden) || errors.Is(err, upstream.ErrUnauthorized) {
		revoked, err = s.deps.Revoker.Revoke(ctx, prev.AccessToken, id)
	}
	var why string
	switch {
	case err != nil:
		why = "JFrog refused to revoke the previous token: " + err.Error()
	case revoked:
		return true, ""
	case s.cfg.SecretTTL < jfrog.RevocableExpiryThreshold:
		why = fmt.Sprintf("JFrog answered 204 and revoked nothing: tokens whose lifetime (SECRET_TTL %d s) is below JFrog's revocable-expiry-threshold (%d s by default) cannot be revoked and stay valid until they expire",
			int(s.cfg.SecretTTL/time.Second), int(jfrog.RevocableExpiryThreshold/time.Second))
	default:
		why = "JFrog answered 204: it has no revocable record of the previous token (already revoked, or below the platform's revocable-expiry or persistency threshold); it stays valid until it expires unless it was revoked before"
	}
	log.Warn().Err(err).Str("previous_token_id", id).Str(fieldReason, why).Msg("previous token not revoked")
	return false, why
}
