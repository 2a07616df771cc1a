package keyvault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// DefaultSecretName is the secret the rotation writes when no name is set
// (ARTIFACTORY_TOKEN_SECRET_NAME).
const DefaultSecretName = "artifactory-access-token-secret"

// defaultTryTimeout bounds one attempt when the caller sets none.
const defaultTryTimeout = 30 * time.Second

// StoreOptions configures a Store; nil or zero fields mean the defaults.
type StoreOptions struct {
	azcore.ClientOptions

	// SecretName is the secret holding the credentials; "" means DefaultSecretName.
	SecretName string

	// SettingNames are the caller's setting names that fix hints name.
	SettingNames SettingNames

	// Shape is how the value holds the token; "" means ShapeJSON.
	Shape Shape
	// Host is the JFrog host name the dockerconfigjson and netrc shapes name.
	Host string
}

// Store reads and writes the JFrog credentials secret of one vault. It is
// safe for concurrent use.
type Store struct {
	client   *azsecrets.Client
	vaultURL string
	name     string
	settings SettingNames
	shape    Shape
	host     string
	now      func() time.Time
}

// NewStore returns a Store for the vault at vaultURL (see VaultURL),
// authenticating with cred. The challenge resource check of azsecrets stays
// on unless the vault host is a loopback address (a local vault).
func NewStore(vaultURL string, cred azcore.TokenCredential, opts *StoreOptions) (*Store, error) {
	if opts == nil {
		opts = &StoreOptions{}
	}
	if cred == nil {
		return nil, errors.New("key vault: nil credential")
	}
	u, err := VaultURL("", vaultURL)
	if err != nil {
		return nil, err
	}
	name := opts.SecretName
	if name == "" {
		name = DefaultSecretName
	}
	if err := ValidateSecretName(name); err != nil {
		return nil, err
	}
	co := opts.ClientOptions
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = defaultTryTimeout
	}
	c, err := azsecrets.NewClient(u, cred, &azsecrets.ClientOptions{
		ClientOptions:                        co,
		DisableChallengeResourceVerification: isLoopbackURL(u),
	})
	if err != nil {
		return nil, fmt.Errorf("key vault %s: %w", u, err)
	}
	shape := opts.Shape
	if shape == "" {
		shape = ShapeJSON
	}
	if shape != ShapeJSON && opts.Host == "" {
		return nil, fmt.Errorf("key vault: secret %q: shape %s needs the JFrog host", name, shape)
	}
	return &Store{client: c, vaultURL: u, name: name, settings: opts.SettingNames, shape: shape, host: opts.Host, now: time.Now}, nil
}

// VaultURL returns the vault the store talks to.
func (s *Store) VaultURL() string { return s.vaultURL }

// SecretName returns the secret the store reads and writes.
func (s *Store) SecretName() string { return s.name }

// Current reads the latest version of the secret and decodes it. It does
// not check expiry (see Credentials.Check): the rotation must still read an
// expired token to replace it. A bad value matches ErrMalformedSecret and
// still carries the version's Properties.
func (s *Store) Current(ctx context.Context) (Credentials, error) {
	resp, err := s.client.GetSecret(ctx, s.name, "", nil)
	if err != nil {
		return Credentials{}, s.wrapError("get", err)
	}
	props := s.properties(resp.Secret)
	value := ""
	if resp.Value != nil {
		value = *resp.Value
	}
	c, err := s.shape.Parse(s.name, value)
	if err != nil {
		return Credentials{Properties: props}, fmt.Errorf("key vault %s: version %s: %w", s.vaultURL, props.Version, err)
	}
	c.Properties = props
	if c.ExpiresOn == nil {
		c.ExpiresOn = tokenExpiry(c.AccessToken)
	}
	return c, nil
}

// Properties returns the attributes and tags of the newest enabled version,
// without reading any value: it lists the versions (Get Secret Versions,
// https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions:
// "The full secret identifier and attributes are provided in the response.
// No values are returned for the secrets.") and picks the enabled one
// created last (Key Vault records whole seconds; of versions created in
// the same second the one updated last wins, then the one listed last).
// The listing is in pages of 25 and its order is not documented, so every
// page is read: callers should cache the result. A secret with no enabled
// version is reported like a missing one (a 404 *upstream.ResponseError
// matching ErrSecretNotFound).
func (s *Store) Properties(ctx context.Context) (Properties, error) {
	var best *Properties
	pager := s.client.NewListSecretPropertiesVersionsPager(s.name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return Properties{}, s.wrapError("list versions of", err)
		}
		for _, item := range page.Value {
			if item == nil {
				continue
			}
			p := s.propertiesOf(item.ID, item.ContentType, item.Attributes, item.Tags)
			if !p.Enabled || p.Created == nil {
				continue
			}
			if best == nil || newer(p, *best) {
				best = &p
			}
		}
	}
	if best == nil {
		return Properties{}, &upstream.ResponseError{Service: Service, Method: http.MethodGet, URL: s.vaultURL + "secrets/" + s.name + "/versions",
			StatusCode: http.StatusNotFound, Code: codeSecretNotFound, Message: "the secret has no enabled version",
			Fix: s.fix("get", http.StatusNotFound, ""), Sentinel: ErrSecretNotFound}
	}
	return *best, nil
}

// newer reports whether a was created after b (ties: updated after b, or
// listed after it).
func newer(a, b Properties) bool {
	if !a.Created.Equal(*b.Created) {
		return a.Created.After(*b.Created)
	}
	if a.Updated != nil && b.Updated != nil && !a.Updated.Equal(*b.Updated) {
		return a.Updated.After(*b.Updated)
	}
	return true
}

// NewVersion is a version to store.
type NewVersion struct {
	// AccessToken and Username form the JSON value.
	AccessToken secret.Token
	Username    string
	// ExpiresOn becomes the exp attribute; zero means no expiry.
	ExpiresOn time.Time
	// TokenID is written to the token-id tag.
	TokenID string
	// RotatedBy is written to the rotated-by tag.
	RotatedBy string
	// Trigger ("timer", "http") is written to the rotation-trigger tag when set.
	Trigger string
}

// Put stores v as a new version (content type application/json) and
// returns its properties. The tags carry who rotated it, the token id and
// the username, never the token.
func (s *Store) Put(ctx context.Context, v NewVersion) (Properties, error) {
	value, err := s.shape.Encode(s.host, v.AccessToken, v.Username)
	if err != nil {
		return Properties{}, fmt.Errorf("key vault %s: set secret %q: %w", s.vaultURL, s.name, err)
	}
	tags := map[string]*string{TagUsername: to.Ptr(v.Username)}
	for k, val := range map[string]string{TagRotatedBy: v.RotatedBy, TagTokenID: v.TokenID, TagTrigger: v.Trigger} {
		if val != "" {
			tags[k] = to.Ptr(val)
		}
	}
	attrs := &azsecrets.SecretAttributes{Enabled: to.Ptr(true)}
	if !v.ExpiresOn.IsZero() {
		attrs.Expires = to.Ptr(v.ExpiresOn.UTC().Truncate(time.Second))
	}
	resp, err := s.client.SetSecret(ctx, s.name, azsecrets.SetSecretParameters{
		Value:            &value,
		ContentType:      to.Ptr(s.shape.contentType()),
		SecretAttributes: attrs,
		Tags:             tags,
	}, nil)
	if err != nil {
		return Properties{}, s.wrapError("set", err)
	}
	resp.Value = nil
	return s.properties(resp.Secret), nil
}

// properties converts the SDK's secret metadata.
func (s *Store) properties(sec azsecrets.Secret) Properties {
	return s.propertiesOf(sec.ID, sec.ContentType, sec.Attributes, sec.Tags)
}

// propertiesOf converts the metadata fields a secret and a version listing
// item share.
func (s *Store) propertiesOf(id *azsecrets.ID, contentType *string, a *azsecrets.SecretAttributes, tags map[string]*string) Properties {
	p := Properties{Name: s.name, Tags: map[string]string{}}
	if id != nil {
		p.Version = id.Version()
		if n := id.Name(); n != "" {
			p.Name = n
		}
	}
	if contentType != nil {
		p.ContentType = *contentType
	}
	if a != nil {
		p.Enabled = a.Enabled == nil || *a.Enabled
		p.ExpiresOn, p.NotBefore, p.Created, p.Updated = utc(a.Expires), utc(a.NotBefore), utc(a.Created), utc(a.Updated)
	}
	for k, v := range tags {
		if v != nil {
			p.Tags[k] = *v
		}
	}
	return p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// String describes the store without any secret.
func (s *Store) String() string {
	return "keyvault.Store{" + strings.TrimSuffix(s.vaultURL, "/") + " secret " + s.name + "}"
}
