// Package tlsca gives the local stack its own certificate authority: a CA
// and a loopback server certificate created once in the data folder and
// reused on every start, so clients trust the stack through SSL_CERT_FILE
// (or an explicit pool) and never need to skip verification.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// File names inside the CA folder.
const (
	caCertName     = "ca.pem"
	caKeyName      = "ca-key.pem"
	serverCertName = "server.pem"
	serverKeyName  = "server-key.pem"
	bundleName     = "ca-bundle.pem"
)

// systemBundles are the usual places of the operating system's CA bundle;
// the first that exists is appended to the devstack bundle so a process that
// trusts SSL_CERT_FILE can still reach public hosts.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/cert.pem",
}

// CA is the local stack's certificate authority and its server certificate.
// A CA is safe for concurrent use.
type CA struct {
	dir    string
	caCert *x509.Certificate
	server tls.Certificate
}

// Ensure loads the CA kept in dir, creating the CA, the server certificate
// (for 127.0.0.1, ::1 and localhost) and the bundle on first use. A server
// certificate that expires within 30 days is renewed.
func Ensure(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create CA folder %s: %w", dir, err)
	}
	caCert, caKey, err := loadOrCreateCA(dir)
	if err != nil {
		return nil, err
	}
	server, err := loadOrCreateServer(dir, caCert, caKey)
	if err != nil {
		return nil, err
	}
	if err := writeBundle(dir, caCert); err != nil {
		return nil, err
	}
	return &CA{dir: dir, caCert: caCert, server: server}, nil
}

// CertFile returns the path of the CA certificate alone (PEM).
func (c *CA) CertFile() string { return filepath.Join(c.dir, caCertName) }

// BundleFile returns the path of the bundle meant for SSL_CERT_FILE: the
// devstack CA followed by the system's CA bundle when one exists.
func (c *CA) BundleFile() string { return filepath.Join(c.dir, bundleName) }

// ServerCertFile returns the path of the server certificate (PEM).
func (c *CA) ServerCertFile() string { return filepath.Join(c.dir, serverCertName) }

// ServerKeyFile returns the path of the server certificate's private key (PEM).
func (c *CA) ServerKeyFile() string { return filepath.Join(c.dir, serverKeyName) }

// Pool returns a certificate pool holding only the devstack CA.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.caCert)
	return p
}

// ServerTLSConfig returns a TLS configuration serving the loopback server
// certificate.
func (c *CA) ServerTLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.server}, MinVersion: tls.VersionTLS12}
}

// ClientTLSConfig returns a TLS configuration that trusts the devstack CA.
func (c *CA) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: c.Pool(), MinVersion: tls.VersionTLS12}
}

// HTTPClient returns an HTTP client that trusts the devstack CA and gives up
// on a request after timeout (0 means no overall timeout).
func (c *CA) HTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = c.ClientTLSConfig()
	return &http.Client{Transport: t, Timeout: timeout}
}

func loadOrCreateCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, caCertName), filepath.Join(dir, caKeyName)
	cert, key, err := loadPair(certPath, keyPath)
	if err == nil {
		return cert, key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("load devstack CA (delete %s to recreate it): %w", dir, err)
	}
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "frogbridge devstack CA", Organization: []string{"frogbridge devstack"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	// The key is written first: a crash in between leaves a key without a
	// certificate, which the next start simply replaces.
	if err := writeKey(keyPath, key); err != nil {
		return nil, nil, err
	}
	if err := store.WriteFile(certPath, pemCert(der), 0o644); err != nil {
		return nil, nil, fmt.Errorf("write CA certificate: %w", err)
	}
	return cert, key, nil
}

func loadOrCreateServer(dir string, caCert *x509.Certificate, caKey *ecdsa.PrivateKey) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, serverCertName), filepath.Join(dir, serverKeyName)
	if cert, _, err := loadPair(certPath, keyPath); err == nil &&
		time.Until(cert.NotAfter) > 30*24*time.Hour && cert.CheckSignatureFrom(caCert) == nil {
		return tls.LoadX509KeyPair(certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate server key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"frogbridge devstack"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create server certificate: %w", err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return tls.Certificate{}, err
	}
	if err := store.WriteFile(certPath, pemCert(der), 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("write server certificate: %w", err)
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

func writeBundle(dir string, caCert *x509.Certificate) error {
	bundle := pemCert(caCert.Raw)
	for _, p := range systemBundles {
		if b, err := os.ReadFile(p); err == nil {
			bundle = append(bundle, b...)
			break
		}
	}
	path := filepath.Join(dir, bundleName)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(bundle) {
		return nil
	}
	if err := store.WriteFile(path, bundle, 0o644); err != nil {
		return fmt.Errorf("write CA bundle: %w", err)
	}
	return nil
}

func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s holds no PEM certificate", certPath)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", certPath, err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("%s holds no PEM key", keyPath)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", keyPath, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("%s does not match %s", keyPath, certPath)
	}
	return cert, key, nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	if err := store.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(fmt.Sprintf("tlsca: crypto/rand failed: %v", err))
	}
	return n
}
