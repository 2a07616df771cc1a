package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/devstack/localjfrog"
)

// jfrogPlatform is what up needs from the local JFrog Platform.
type jfrogPlatform interface {
	Handler() http.Handler
	AdminToken() string
	Thresholds() (revocable, persistent time.Duration)
	SetThresholds(revocable, persistent time.Duration)
}

func newJFrog(s *stack) (jfrogPlatform, error) {
	p, err := localjfrog.New(localjfrog.Options{
		DataDir:    filepath.Join(s.cfg.dataDir, "jfrog"),
		BaseURL:    s.url(slotJFrog, "https"),
		HTTPClient: s.ca.HTTPClient(30 * time.Second),
		Logger:     s.log.With().Str("service", "jfrog").Logger(),

		RevocableExpiryThreshold:  s.cfg.revocableThreshold,
		PersistentExpiryThreshold: s.cfg.persistentThreshold,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// provisionJFrog configures the platform over its admin REST API, like the
// README's curl commands: the OIDC provider trusting the local Entra issuer,
// the identity mapping for the function-app identity, and the ML repository.
// Re-running it updates the provider and mapping to the current issuer.
func (s *stack) provisionJFrog(ctx context.Context) error {
	if s.jfrog == nil {
		return nil
	}
	cfg := s.tenant.Config()
	fa, _ := cfg.Identity(entra.FunctionAppIdentity)
	app, _ := cfg.App(entra.JFrogApp)
	base := s.url(slotJFrog, "https")
	c := &adminClient{http: s.ca.HTTPClient(30 * time.Second), token: s.jfrog.AdminToken()}

	provider := map[string]any{
		"name":          oidcProviderName,
		"issuer_url":    s.tenant.IssuerV2(),
		"provider_type": "Azure",
		// Entra's v2 tokens carry the API's client id as aud, whichever of
		// api://<id> or <id> the identity asked for.
		"audience":          app.ClientID,
		"description":       "frogbridge function app (devstack Entra ID)",
		"use_default_proxy": false,
	}
	if err := c.upsert(ctx, base+"/access/api/v1/oidc", base+"/access/api/v1/oidc/"+oidcProviderName, provider); err != nil {
		return fmt.Errorf("configure JFrog OIDC provider %s: %w", oidcProviderName, err)
	}
	mapping := map[string]any{
		"name":        rotationMapping,
		"description": "function-app managed identity → " + rotationUser,
		"priority":    1,
		"claims":      map[string]string{"oid": fa.ObjectID, "iss": s.tenant.IssuerV2()},
		"token_spec": map[string]any{
			"username":   rotationUser,
			"scope":      "applied-permissions/user",
			"audience":   "*@*",
			"expires_in": rotationTTL,
		},
	}
	mappings := base + "/access/api/v1/oidc/" + oidcProviderName + "/identity_mappings"
	if err := c.upsert(ctx, mappings, mappings+"/"+rotationMapping, mapping); err != nil {
		return fmt.Errorf("configure JFrog identity mapping %s: %w", rotationMapping, err)
	}
	if err := c.ensureRepo(ctx, base, mlRepo, "machinelearning"); err != nil {
		return err
	}
	// The trainer image's default tag, as a docker push would leave it in
	// Artifactory (<image>/<tag>/manifest.json), so the registry API v2
	// manifest check of the diagnostics finds it.
	if err := c.ensureRepo(ctx, base, localDockerRepo, "docker"); err != nil {
		return err
	}
	image, _ := config.Lookup(config.EnvTrainerImage)
	tag, _ := config.Lookup(config.EnvTrainerTag)
	manifest := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
		"config": map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 0, "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, "layers": []any{}}
	u := base + "/artifactory/" + localDockerRepo + "/" + image.Default + "/" + tag.Default + "/manifest.json"
	if status, body, err := c.do(ctx, http.MethodPut, u, manifest); err != nil || status/100 != 2 {
		return fmt.Errorf("deploy the trainer image manifest to %s: %d %s %v", localDockerRepo, status, body, err)
	}
	return nil
}

// ensureRepo creates the local repository key of packageType unless it
// exists.
func (c *adminClient) ensureRepo(ctx context.Context, base, key, packageType string) error {
	repo := base + "/artifactory/api/repositories/" + key
	status, _, err := c.do(ctx, http.MethodGet, repo, nil)
	if err != nil {
		return fmt.Errorf("look up repository %s: %w", key, err)
	}
	if status == http.StatusOK {
		return nil
	}
	status, body, err := c.do(ctx, http.MethodPut, repo, map[string]string{"rclass": "local", "packageType": packageType})
	if err != nil {
		return fmt.Errorf("create repository %s: %w", key, err)
	}
	if status/100 != 2 {
		return fmt.Errorf("create repository %s: JFrog answered %d: %s", key, status, body)
	}
	return nil
}

// adminClient calls JFrog's admin REST API with the admin token.
type adminClient struct {
	http  *http.Client
	token string
}

// upsert POSTs v to create it; when it already exists (409) it PUTs v to
// update it.
func (c *adminClient) upsert(ctx context.Context, createURL, itemURL string, v any) error {
	status, body, err := c.do(ctx, http.MethodPost, createURL, v)
	if err != nil {
		return err
	}
	if status == http.StatusConflict {
		status, body, err = c.do(ctx, http.MethodPut, itemURL, v)
		if err != nil {
			return err
		}
	}
	if status/100 != 2 {
		return fmt.Errorf("JFrog answered %d: %s", status, body)
	}
	return nil
}

func (c *adminClient) do(ctx context.Context, method, url string, v any) (int, string, error) {
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, "", err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}
