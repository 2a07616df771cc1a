package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/azurite"
	"github.com/frogbridge/frogbridge/internal/devstack/entra"
	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
	"github.com/frogbridge/frogbridge/internal/devstack/faults"
	"github.com/frogbridge/frogbridge/internal/devstack/localazureml"
	"github.com/frogbridge/frogbridge/internal/devstack/localvault"
	"github.com/frogbridge/frogbridge/internal/devstack/store"
	"github.com/frogbridge/frogbridge/internal/devstack/tlsca"
	"github.com/rs/zerolog"
)

// Fixed names the local stack provisions and the suite is configured with.
const (
	mlRepo           = "ml-local"
	oidcProviderName = "azure-oidc"
	rotationUser     = "frogbridge-rotation"
	rotationMapping  = "frogbridge-rotation"
	rotationTTL      = 21600 // SECRET_TTL's default: JFrog revokes tokens of 6 h or more
)

// Listener slots, in port order from --port-base.
const (
	slotEntra = iota
	slotIdentity
	slotKeyVault
	slotJFrog
	slotAzurite
	slotAdmin
	slotAzureML
	slotStorage
	slotCount
)

const upUsage = `usage: devstack up [--data DIR] [--env-file FILE] [--empty] [--port-base N]
                   [--jfrog-revocable-expiry-threshold D] [--jfrog-persistent-expiry-threshold D]

Starts the local Entra ID (issuer + managed-identity endpoints), Key Vault,
JFrog Platform, Azurite and the fault-injection admin API on loopback, and
writes KEY=VALUE settings pointing the suite at them to the env file.
Runs until interrupted.
`

// upConfig is the parsed command line of devstack up.
type upConfig struct {
	trainer  string
	dataDir  string
	envFile  string
	empty    bool
	portBase int
	// revocableThreshold and persistentThreshold are the local JFrog's
	// token thresholds (0: JFrog's defaults, 6 h and 3 h).
	revocableThreshold, persistentThreshold time.Duration
}

func parseUpFlags(args []string, stderr io.Writer) (upConfig, error) {
	fs := flag.NewFlagSet("devstack up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, upUsage); fs.PrintDefaults() }
	var c upConfig
	fs.StringVar(&c.dataDir, "data", ".devstack", "state `folder` (created when missing; survives restarts)")
	fs.StringVar(&c.envFile, "env-file", "", "KEY=VALUE settings `file` to write (default DIR/devstack.env)")
	fs.StringVar(&c.trainer, "trainer", findTrainer(), "trainer `binary` that local AzureML jobs run")
	fs.BoolVar(&c.empty, "empty", false, "provision nothing (no role assignments, no JFrog OIDC setup, no repository)")
	fs.IntVar(&c.portBase, "port-base", 0, "first of 8 consecutive loopback `port`s (0 = random free ports; fix it to keep URLs across restarts)")
	fs.DurationVar(&c.revocableThreshold, "jfrog-revocable-expiry-threshold", 0, "JFrog Access's revocable-expiry-threshold: tokens with a shorter lifetime cannot be revoked (0 = JFrog's default, 6h; negative = none are)")
	fs.DurationVar(&c.persistentThreshold, "jfrog-persistent-expiry-threshold", 0, "JFrog Access's persistent-expiry-threshold: tokens with a shorter lifetime are not stored (0 = JFrog's default, 3h; negative = all are)")
	if err := fs.Parse(args); err != nil {
		return upConfig{}, err
	}
	if fs.NArg() > 0 {
		return upConfig{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.portBase < 0 || c.portBase+slotCount-1 > 65535 {
		return upConfig{}, fmt.Errorf("--port-base %d leaves no room for %d ports", c.portBase, slotCount)
	}
	abs, err := filepath.Abs(c.dataDir)
	if err != nil {
		return upConfig{}, fmt.Errorf("--data %s: %w", c.dataDir, err)
	}
	c.dataDir = abs
	if c.envFile == "" {
		c.envFile = filepath.Join(c.dataDir, "devstack.env")
	}
	if c.envFile, err = filepath.Abs(c.envFile); err != nil {
		return upConfig{}, fmt.Errorf("--env-file: %w", err)
	}
	return c, nil
}

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseUpFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "devstack up: %v\n", err)
		return 2
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	if err := up(ctx, cfg, stdout, log); err != nil {
		fmt.Fprintf(stderr, "devstack up: %v\n", err)
		return 1
	}
	return 0
}

// stack is the running local stack.
type stack struct {
	cfg      upConfig
	log      zerolog.Logger
	ca       *tlsca.CA
	lns      [slotCount]net.Listener
	tenant   *entra.Server
	vault    *localvault.Vault
	faults   *faults.Registry
	jfrog    jfrogPlatform
	azurite  *azurite.Process
	aml      *localazureml.Server
	servers  []*http.Server
	serveErr chan error
	// ci is the provisioned CI client and its secret (empty with --empty).
	ci       entra.Client
	ciSecret string
}

func (s *stack) url(slot int, scheme string) string {
	return scheme + "://" + s.lns[slot].Addr().String()
}

// up starts every service, provisions, writes the env file and blocks until
// ctx ends, then shuts everything down.
func up(ctx context.Context, cfg upConfig, stdout io.Writer, log zerolog.Logger) error {
	// A stale env file would point waiting tools at the previous run.
	if err := os.Remove(cfg.envFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove old env file: %w", err)
	}
	s := &stack{cfg: cfg, log: log, faults: faults.New(), serveErr: make(chan error, slotCount)}
	defer s.close()
	if err := s.start(ctx); err != nil {
		return err
	}
	provisioned := "nothing (--empty)"
	if !cfg.empty {
		var err error
		if provisioned, err = s.provision(ctx); err != nil {
			return err
		}
	}
	env := s.env()
	b, err := envfile.Encode(env)
	if err != nil {
		return fmt.Errorf("encode env file: %w", err)
	}
	if err := store.WriteFile(cfg.envFile, b, 0o600); err != nil {
		return fmt.Errorf("write env file: %w", err)
	}
	s.summary(stdout, env, provisioned)
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
		return nil
	case err := <-s.serveErr:
		return err
	}
}

func (s *stack) start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	var err error
	if s.ca, err = tlsca.Ensure(filepath.Join(s.cfg.dataDir, "tls")); err != nil {
		return err
	}
	// Azurite (a Node.js process) takes seconds to start: start it first
	// and join it once the in-process services are up.
	azPort := 0
	if s.cfg.portBase != 0 {
		azPort = s.cfg.portBase + slotAzurite
	}
	type started struct {
		p   *azurite.Process
		err error
	}
	azDone := make(chan started, 1)
	go func() {
		p, err := azurite.Start(ctx, azurite.Options{
			Dir:      filepath.Join(s.cfg.dataDir, "azurite"),
			Port:     azPort,
			CertFile: s.ca.ServerCertFile(),
			KeyFile:  s.ca.ServerKeyFile(),
			Log:      logWriter{s.log.With().Str("service", "azurite").Logger()},
		})
		azDone <- started{p, err}
	}()
	joined := false
	defer func() {
		// On an early return, wait for Azurite so close() can stop it.
		if !joined {
			s.azurite = (<-azDone).p
		}
	}()
	for i := range s.lns {
		addr := "127.0.0.1:0"
		if s.cfg.portBase != 0 {
			addr = "127.0.0.1:" + strconv.Itoa(s.cfg.portBase+i)
		}
		if i == slotAzurite {
			// Azurite binds its own port (with 0 it picks a free one).
			continue
		}
		if s.lns[i], err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen on %s (choose another --port-base): %w", addr, err)
		}
	}
	s.tenant, err = entra.New(entra.Options{
		DataDir: filepath.Join(s.cfg.dataDir, "entra"),
		BaseURL: s.url(slotEntra, "https"),
		Logger:  s.log.With().Str("service", "entra").Logger(),
	})
	if err != nil {
		return err
	}
	s.vault, err = localvault.New(localvault.Options{
		DataDir:   filepath.Join(s.cfg.dataDir, "keyvault"),
		VaultURL:  s.url(slotKeyVault, "https"),
		Authority: s.tenant.Authority(),
		Verifier:  s.tenant,
		Logger:    s.log.With().Str("service", "keyvault").Logger(),
	})
	if err != nil {
		return err
	}
	if s.jfrog, err = newJFrog(s); err != nil {
		return err
	}
	s.serve(slotEntra, s.faults.Wrap("entra", s.tenant.IssuerHandler()), true)
	s.serve(slotIdentity, s.faults.Wrap("entra", s.tenant.IdentityHandler()), false)
	s.serve(slotKeyVault, s.faults.Wrap("keyvault", s.vault.Handler()), true)
	if s.jfrog != nil {
		s.serve(slotJFrog, s.faults.Wrap("jfrog", s.jfrog.Handler()), true)
	}
	s.serve(slotAdmin, s.adminHandler(), false)

	r := <-azDone
	joined = true
	if r.err != nil {
		return fmt.Errorf("start azurite: %w", r.err)
	}
	s.azurite = r.p
	if s.aml, err = newAzureML(s); err != nil {
		return err
	}
	s.serve(slotAzureML, s.faults.Wrap("azureml", s.aml.Handler()), true)
	s.serve(slotStorage, s.faults.Wrap("storage", s.storageProxy()), true)
	return nil
}

func (s *stack) serve(slot int, h http.Handler, useTLS bool) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ln := s.lns[slot]
	if useTLS {
		srv.TLSConfig = s.ca.ServerTLSConfig()
	}
	s.servers = append(s.servers, srv)
	go func() {
		var err error
		if useTLS {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
	}()
}

// close stops Azurite and the servers; listeners never served are closed.
func (s *stack) close() {
	if s.aml != nil {
		s.aml.Close()
	}
	if s.azurite != nil {
		s.azurite.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	}
	for _, ln := range s.lns {
		if ln != nil {
			ln.Close()
		}
	}
}

// env returns the settings written to the env file.
func (s *stack) env() map[string]string {
	cfg := s.tenant.Config()
	fa, _ := cfg.Identity(entra.FunctionAppIdentity)
	compute, _ := cfg.Identity(entra.ComputeIdentity)
	app, _ := cfg.App(entra.JFrogApp)
	identity := s.url(slotIdentity, "http")
	env := map[string]string{
		"SSL_CERT_FILE":                   s.ca.BundleFile(),
		"IDENTITY_ENDPOINT":               identity + entra.AppServicePath,
		"IDENTITY_HEADER":                 s.tenant.IdentityHeader(),
		"DEVSTACK_COMPUTE_MSI_ENDPOINT":   identity + entra.AzureMLPath,
		"DEVSTACK_COMPUTE_MSI_SECRET":     s.tenant.MSISecret(),
		"DEVSTACK_COMPUTE_CLIENT_ID":      compute.ClientID,
		"DEVSTACK_COMPUTE_OBJECT_ID":      compute.ObjectID,
		"DEVSTACK_FUNCTION_APP_CLIENT_ID": fa.ClientID,
		"DEVSTACK_FUNCTION_APP_OBJECT_ID": fa.ObjectID,
		"DEVSTACK_JFROG_APP_CLIENT_ID":    app.ClientID,
		"AZURE_TENANT_ID":                 cfg.TenantID,
		"DEVSTACK_ENTRA_ISSUER":           s.tenant.IssuerV2(),
		"KEY_VAULT_URL":                   s.vault.URL(),
		"AZURE_KEY_VAULT_URL":             s.vault.URL(),
		"ARTIFACTORY_ML_REPO":             mlRepo,
		"JFROG_OIDC_PROVIDER_NAME":        oidcProviderName,
		"AZURE_AD_TOKEN_AUDIENCE":         "api://" + app.ClientID,
		"AzureWebJobsStorage":             s.storageConnectionString(),
		"DEVSTACK_ADMIN_URL":              s.url(slotAdmin, "http"),
		"DEVSTACK_DATA":                   s.cfg.dataDir,
	}
	for k, v := range s.azureMLEnv() {
		env[k] = v
	}
	for k, v := range s.entraEnv() {
		env[k] = v
	}
	if s.jfrog != nil {
		env["ARTIFACTORY_URL"] = s.url(slotJFrog, "https")
		env["ARTIFACTORY_HOST"] = s.lns[slotJFrog].Addr().String()
		env["JFROG_ADMIN_TOKEN"] = s.jfrog.AdminToken()
	}
	return env
}

func (s *stack) summary(w io.Writer, env map[string]string, provisioned string) {
	fmt.Fprintf(w, "devstack is up (data %s)\n", s.cfg.dataDir)
	rows := [][2]string{
		{"Entra ID issuer", env["DEVSTACK_ENTRA_ISSUER"]},
		{"managed identity", env["IDENTITY_ENDPOINT"] + " (function-app), " + env["DEVSTACK_COMPUTE_MSI_ENDPOINT"] + " (compute)"},
		{"Key Vault", env["KEY_VAULT_URL"]},
		{"JFrog Platform", env["ARTIFACTORY_URL"] + " (admin token: JFROG_ADMIN_TOKEN in the env file)"},
		{"Azurite blob", s.azurite.BlobURL()},
		{"AzureML (ARM)", env["AZURE_RESOURCE_MANAGER_ENDPOINT"] + " (workspace " + env["AZUREML_WORKSPACE_NAME"] + ", compute " + env["AZUREML_COMPUTE_NAME"] + ")"},
		{"admin API", env["DEVSTACK_ADMIN_URL"] + "/faults"},
		{"provisioned", provisioned},
		{"env file", s.cfg.envFile},
	}
	if s.jfrog == nil {
		rows[3][1] = "not started (package internal/devstack/localjfrog unavailable)"
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-17s %s\n", r[0], r[1])
	}
}

// logWriter turns Azurite's output lines into log events.
type logWriter struct{ log zerolog.Logger }

func (l logWriter) Write(p []byte) (int, error) {
	l.log.Info().Msg(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
