package localjfrog

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// JWKS caching: keys are reused for jwksTTL and refetched on an unknown kid
// at most once per jwksMinRefresh.
const (
	jwksTTL        = time.Hour
	jwksMinRefresh = 5 * time.Second
	fetchTimeout   = 10 * time.Second
)

// jwksCache fetches and caches the signing keys of OIDC issuers.
type jwksCache struct {
	client  *http.Client
	mu      sync.Mutex
	entries map[string]*jwksEntry
}

type jwksEntry struct {
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func newJWKSCache(c *http.Client) *jwksCache {
	return &jwksCache{client: c, entries: map[string]*jwksEntry{}}
}

// key returns the RSA key with id kid published by the issuer. An empty kid
// selects the only key when the issuer publishes exactly one.
func (c *jwksCache) key(ctx context.Context, issuerURL, kid string) (*rsa.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[issuerURL]
	if e != nil {
		if k := pick(e.keys, kid); k != nil && time.Since(e.fetched) < jwksTTL {
			return k, nil
		}
		if time.Since(e.fetched) < jwksMinRefresh {
			return nil, fmt.Errorf("the issuer's JWKS has no RSA key with kid %q", kid)
		}
	}
	keys, err := c.fetch(ctx, issuerURL)
	if err != nil {
		return nil, err
	}
	c.entries[issuerURL] = &jwksEntry{keys: keys, fetched: time.Now()}
	if k := pick(keys, kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("the issuer's JWKS has no RSA key with kid %q", kid)
}

func pick(keys map[string]*rsa.PublicKey, kid string) *rsa.PublicKey {
	if kid == "" && len(keys) == 1 {
		for _, k := range keys {
			return k
		}
	}
	return keys[kid]
}

// fetch reads {issuer}/.well-known/openid-configuration, then its jwks_uri.
func (c *jwksCache) fetch(ctx context.Context, issuerURL string) (map[string]*rsa.PublicKey, error) {
	discovery := strings.TrimRight(issuerURL, "/") + "/.well-known/openid-configuration"
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(ctx, discovery, &doc); err != nil {
		return nil, fmt.Errorf("fetch OIDC discovery %s (check the provider's issuer_url): %w", discovery, err)
	}
	if doc.JWKSURI == "" {
		return nil, fmt.Errorf("OIDC discovery %s has no jwks_uri", discovery)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := c.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", doc.JWKSURI, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}

func (c *jwksCache) getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}
