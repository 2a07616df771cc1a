package localjfrog

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// signer is the Access service's token-signing identity.
type signer struct {
	key     *rsa.PrivateKey
	kid     string
	certDER []byte
}

// loadSigner reads the signing key and root certificate from dir, creating
// and persisting them on first use.
func loadSigner(dir string) (*signer, error) {
	keyPath := filepath.Join(dir, "signing-key.pem")
	certPath := filepath.Join(dir, "root-cert.der")
	b, err := os.ReadFile(keyPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate access signing key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode access signing key: %w", err)
		}
		cert, err := selfSign(key)
		if err != nil {
			return nil, err
		}
		// The certificate first: a key without its certificate is regenerated
		// below, a certificate without its key is replaced with the key.
		if err := store.WriteFile(certPath, cert, 0o644); err != nil {
			return nil, err
		}
		if err := store.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, err
		}
		return newSigner(key, cert), nil
	case err != nil:
		return nil, fmt.Errorf("read access signing key %s: %w", keyPath, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("access signing key %s is not PEM; delete it to generate a new one", keyPath)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse access signing key %s: %w", keyPath, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("access signing key %s is not an RSA key", keyPath)
	}
	cert, err := os.ReadFile(certPath)
	if err != nil || !certMatches(cert, key) {
		if cert, err = selfSign(key); err != nil {
			return nil, err
		}
		if err := store.WriteFile(certPath, cert, 0o644); err != nil {
			return nil, err
		}
	}
	return newSigner(key, cert), nil
}

func newSigner(key *rsa.PrivateKey, cert []byte) *signer {
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(der)
	return &signer{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:]), certDER: cert}
}

func certMatches(der []byte, key *rsa.PrivateKey) bool {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	return ok && pub.Equal(&key.PublicKey)
}

// selfSign makes the root certificate served at /access/api/v1/cert/root,
// which relying parties use to verify access tokens.
func selfSign(key *rsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "JFrog Access (frogbridge devstack)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create access root certificate: %w", err)
	}
	return der, nil
}

// newServiceID returns an identifier shaped like JFrog's service ids
// (26 lower-case base32 characters starting with "01").
func newServiceID() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate service id: %w", err)
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return "01" + s[:24], nil
}

// newUUID returns a random RFC 4122 version 4 UUID, the form JFrog uses for
// token ids.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
