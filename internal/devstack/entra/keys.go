package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// keyFile holds the tenant's token-signing key and certificate (PEM).
const keyFile = "signing-key.pem"

// signingKey is the tenant's RSA key with the self-signed certificate that
// the JWKS publishes in x5c; kid and x5t are the certificate's SHA-1
// thumbprint, base64url-encoded, as Entra's are.
type signingKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	kid  string
}

func loadOrCreateKey(dir string) (*signingKey, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return parseKey(path, b)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "accounts.devstack.local"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create signing certificate: %w", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := store.WriteFile(path, out, 0o600); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return parseKey(path, out)
}

func parseKey(path string, b []byte) (*signingKey, error) {
	var sk signingKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse signing key in %s: %w", path, err)
			}
			sk.key = k
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse signing certificate in %s: %w", path, err)
			}
			sk.cert = c
		}
	}
	if sk.key == nil || sk.cert == nil || !sk.key.PublicKey.Equal(sk.cert.PublicKey) {
		return nil, fmt.Errorf("%s must hold a matching RSA key and certificate (delete it to create a new one)", path)
	}
	sum := sha1.Sum(sk.cert.Raw)
	sk.kid = base64.RawURLEncoding.EncodeToString(sum[:])
	return &sk, nil
}

// jwk is one key of a JSON Web Key Set, with the fields Entra publishes.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer,omitempty"`
}

func (sk *signingKey) jwk(issuer string) jwk {
	pub := sk.key.PublicKey
	return jwk{
		Kty:    "RSA",
		Use:    "sig",
		Kid:    sk.kid,
		X5t:    sk.kid,
		N:      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		X5c:    []string{base64.StdEncoding.EncodeToString(sk.cert.Raw)},
		Issuer: issuer,
	}
}
