package callerauth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// maxDocument bounds the discovery document and the key set read.
const maxDocument = 1 << 20

// keySet is the tenant's signing keys, fetched from OpenID discovery and
// cached by kid. A refetch for an unknown kid happens at most once per
// MinRefreshInterval; concurrent misses share one fetch.
type keySet struct {
	discovery string
	pipeline  runtime.Pipeline
	opts      Options

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetched   time.Time // last successful fetch
	attempted time.Time // last fetch attempt
	lastErr   error
}

func newKeySet(discovery string, opts Options) (*keySet, error) {
	co := opts.ClientOptions
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = 10 * time.Second
	}
	if co.Retry.MaxRetries == 0 {
		co.Retry.MaxRetries = 2
	}
	p := runtime.NewPipeline("callerauth", "v1", runtime.PipelineOptions{}, &co)
	return &keySet{discovery: discovery, pipeline: p, opts: opts}, nil
}

// key returns the public key named kid, fetching the set when it is
// missing or stale.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	stale := s.keys == nil || now.Sub(s.fetched) > s.opts.MaxKeyAge
	if k, ok := s.keys[kid]; ok && !stale {
		return k, nil
	}
	if now.Sub(s.attempted) >= s.opts.MinRefreshInterval || s.attempted.IsZero() {
		s.attempted = now
		keys, err := s.fetch(ctx)
		if err == nil {
			s.keys, s.fetched, s.lastErr = keys, now, nil
		} else {
			s.lastErr = err
		}
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if s.keys == nil {
		return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, s.lastErr)
	}
	return nil, fmt.Errorf("signing key %q is not in the tenant's key set", clip(kid))
}

// fetch reads the discovery document, then its jwks_uri.
func (s *keySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.discovery, &doc); err != nil {
		return nil, err
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("discovery document %s names jwks_uri %q, not an https URL", s.discovery, clip(doc.JWKSURI))
	}
	var set jwks
	if err := s.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys, err := set.rsaKeys()
	if err != nil {
		return nil, fmt.Errorf("keys at %s: %w", doc.JWKSURI, err)
	}
	return keys, nil
}

func (s *keySet) getJSON(ctx context.Context, endpoint string, v any) error {
	req, err := runtime.NewRequest(ctx, http.MethodGet, endpoint)
	if err != nil {
		return fmt.Errorf("GET %s: %w", endpoint, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := s.pipeline.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d (check AUTH_AUTHORITY_HOST and AUTH_TENANT_ID)", endpoint, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", endpoint, err)
	}
	if len(b) > maxDocument {
		return fmt.Errorf("GET %s: answer larger than %d bytes", endpoint, maxDocument)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: not the expected JSON: %w", endpoint, err)
	}
	return nil
}

// jwks is a JSON Web Key Set (RFC 7517) as Entra publishes it.
type jwks struct {
	Keys []struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	} `json:"keys"`
}

// rsaKeys returns the set's RSA signing keys by kid; other keys are
// skipped. A set without a usable key is an error.
func (j jwks) rsaKeys() (map[string]*rsa.PublicKey, error) {
	out := map[string]*rsa.PublicKey{}
	for _, k := range j.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			continue // too short for RS256 (2048 bits), or malformed
		}
		exp := new(big.Int).SetBytes(e)
		if exp.Int64() < 3 || exp.Int64()%2 == 0 {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	}
	if len(out) == 0 {
		return nil, errors.New("no RSA signing key of 2048 bits or more")
	}
	return out, nil
}
