// Package diagnose runs every step the functions depend on — the managed
// identity token, the JFrog exchange, the stored token, Key Vault, host
// storage, AzureML and the trainer image — without storing anything, and
// reports each as a check with its result and the fix. It serves
// GET /api/diagnostics and `handler doctor`. No token, key or secret value
// ever appears in a report: details pass through the redactor and only
// decoded, non-secret claims are shown.
package diagnose

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/rotation"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Result is the outcome of one check.
type Result string

// Results.
const (
	OK   Result = "ok"
	Warn Result = "warn"
	Fail Result = "fail"
	Skip Result = "skip"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"check"`
	Result Result `json:"result"`
	Detail string `json:"detail"`
	// Fix says what to change; empty when nothing is to be done.
	Fix string `json:"fix,omitempty"`
	// Claims are the decoded claims of the managed identity token (iss,
	// aud, ver, oid, sub, tid, roles), never the token.
	Claims map[string]any `json:"claims,omitempty"`
}

// Report is the whole run. Status is "ok" when no check failed.
type Report struct {
	Status string  `json:"status"`
	Checks []Check `json:"checks"`
}

// Failed reports whether a check failed.
func (r Report) Failed() bool { return r.Status != "ok" }

// WriteTable prints the report as a table of check / result / detail / fix.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL\tWHAT TO CHANGE")
	for _, c := range r.Checks {
		d := c.Detail
		if len(c.Claims) > 0 {
			d += " [" + claimsLine(c.Claims) + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Result, oneLine(d), oneLine(c.Fix))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "status:", r.Status)
	return err
}

// redactText removes secret-shaped values and opaque credential runs.
func redactText(s string) string { return redact.Upstream(s) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func claimsLine(c map[string]any) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, c[k])
	}
	return strings.Join(parts, " ")
}

// Deps are the clients and settings the checks use. A nil client skips
// its checks with the settings to fix in the detail.
type Deps struct {
	// Identity is the function app's managed identity.
	Identity azcore.TokenCredential
	// Audience and ProviderName are AZURE_AD_TOKEN_AUDIENCE and
	// JFROG_OIDC_PROVIDER_NAME.
	Audience, ProviderName string
	// JFrog is the Artifactory platform client.
	JFrog *jfrog.Client
	// Store is the Key Vault secret of the JFrog credentials.
	Store *keyvault.Store
	// Schedule is ROTATION_SCHEDULE, for the stored token's expiry check.
	Schedule string
	// Locks is the host storage container of the rotation lease, and
	// LockContainer its name (ROTATION_LOCK_CONTAINER).
	Locks         *container.Client
	LockContainer string
	// Workspace is the AzureML workspace client; nil when the job
	// settings are absent.
	Workspace *azureml.Client
	// ConnectionName, ArtifactoryHost, DockerRepo, TrainerImage and
	// TrainerTag are the job settings the AzureML checks read.
	ConnectionName, ArtifactoryHost, DockerRepo, TrainerImage, TrainerTag string
	// Compute is AZUREML_COMPUTE_NAME, the default compute of the jobs.
	Compute string
	// MLRepo is ARTIFACTORY_ML_REPO, the repository the trainer uploads to.
	MLRepo string
	// Missing names settings that are absent or malformed, per check
	// group: "rotation", "jobs".
	Missing map[string]string
	// Now returns the time (time.Now when nil).
	Now func() time.Time
}

// stepTimeout bounds each check.
const stepTimeout = 20 * time.Second

// Run runs every check in order and returns the report. Checks that need
// an earlier one's result (the exchange needs the identity token) are
// skipped when it failed.
func Run(ctx context.Context, d Deps) Report {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	r := &runner{d: d, now: now}
	r.identity(ctx)
	r.exchange(ctx)
	r.vault(ctx)
	r.storedToken(ctx)
	r.storage(ctx)
	r.azureML(ctx)
	rep := Report{Status: "ok", Checks: r.checks}
	for i := range rep.Checks {
		c := &rep.Checks[i]
		c.Detail, c.Fix = redactText(c.Detail), redactText(c.Fix)
		if c.Result == Fail {
			rep.Status = "fail"
		}
	}
	return rep
}

type runner struct {
	d      Deps
	now    func() time.Time
	checks []Check
	// entra is the identity token, kept only in memory for the exchange.
	entra  secret.Token
	claims map[string]any
	// stored are the credentials read from Key Vault.
	stored *keyvault.Credentials
}

func (r *runner) add(c Check) { r.checks = append(r.checks, c) }

func (r *runner) skipped(name, why string) {
	r.add(Check{Name: name, Result: Skip, Detail: why})
}

func step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, stepTimeout)
}

// errText is the redacted error with upstream's fix split off.
func errText(err error) (detail, fix string) {
	var re *upstream.ResponseError
	if errors.As(err, &re) && re.Fix != "" {
		return redact.Error(err), re.Fix
	}
	return redact.Error(err), ""
}

// identity gets the managed identity token for the audience and decodes
// its claims.
func (r *runner) identity(ctx context.Context) {
	const name = "managed identity token"
	if m := r.d.Missing["rotation"]; m != "" || r.d.Identity == nil {
		r.skipped(name, "rotation settings: "+m)
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	tok, err := r.d.Identity.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{rotation.ScopeFor(r.d.Audience)}})
	if err != nil {
		detail, _ := errText(err)
		if fix := entraFix(err); fix != "" {
			r.add(Check{Name: name, Result: Fail, Detail: detail, Fix: fix})
			return
		}
		r.add(Check{Name: name, Result: Fail, Detail: detail,
			Fix: "check AZURE_CLIENT_ID / the function app's identity and that AZURE_AD_TOKEN_AUDIENCE (" + r.d.Audience + ") is the Application ID URI of an app registration in the tenant; " +
				"AADSTS500011 means no such app registration, AADSTS50105 means the app requires assignment: assign the identity an app role of it (or set 'Assignment required' to No)"})
		return
	}
	r.entra = secret.Token(tok.Token)
	r.claims = decodeClaims(tok.Token)
	c := Check{Name: name, Result: OK, Claims: r.claims,
		Detail: fmt.Sprintf("token for %s, %s", rotation.ScopeFor(r.d.Audience), issuerKind(r.claims))}
	if _, err := rotation.CheckClaims(tok.Token, r.d.Audience, r.now()); err != nil {
		c.Result, c.Detail = Fail, redact.Error(err)
		c.Fix = "set AZURE_AD_TOKEN_AUDIENCE to the audience the JFrog OIDC integration expects"
	}
	r.add(c)
}

// decodeClaims returns the claims the report may show; the token's
// signature is not checked (JFrog checks it).
func decodeClaims(token string) map[string]any {
	mc := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, mc); err != nil {
		return map[string]any{}
	}
	out := map[string]any{}
	for _, k := range []string{"iss", "aud", "ver", "oid", "sub", "tid", "roles"} {
		if v, ok := mc[k]; ok {
			out[k] = v
		}
	}
	return out
}

// issuerKind explains which issuer form the token has: JFrog's provider
// issuer_url must equal iss exactly, and Entra issues v1.0 tokens
// (https://sts.windows.net/<tid>/) unless the app registration asks for
// v2.0 (requestedAccessTokenVersion 2: https://login.microsoftonline.com/<tid>/v2.0).
func issuerKind(c map[string]any) string {
	ver, _ := c["ver"].(string)
	iss, _ := c["iss"].(string)
	return fmt.Sprintf("Entra %s token: the JFrog OIDC provider's issuer_url must be exactly %q and its audience the aud claim", cmpOr(ver, "unknown-version"), iss)
}

func fixPrefix(fix string) string {
	if fix == "" {
		return ""
	}
	return strings.TrimRight(fix, ". ") + "; "
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// exchange trades the identity token at JFrog and revokes what it got, so
// nothing is left behind.
func (r *runner) exchange(ctx context.Context) {
	const name = "JFrog token exchange"
	if r.entra.IsZero() || r.d.JFrog == nil {
		r.skipped(name, "needs the managed identity token")
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	ex, err := r.d.JFrog.Exchange(ctx, r.entra, r.d.ProviderName, nil)
	if err != nil {
		detail, fix := errText(err)
		r.add(Check{Name: name, Result: Fail, Claims: r.claims,
			Detail: "JFrog answered: " + detail + "; claims sent: " + claimsLine(r.claims),
			Fix: fixPrefix(fix) + "the identity mapping of OIDC integration " + r.d.ProviderName +
				" must match these claims (e.g. {\"oid\":\"" + fmt.Sprint(r.claims["oid"]) + "\"} or {\"sub\":\"" + fmt.Sprint(r.claims["sub"]) + "\"}) and the integration's issuer_url the iss claim"})
		return
	}
	c := Check{Name: name, Result: OK, Detail: fmt.Sprintf("exchanged for JFrog user %s (scope %s, lifetime %s)", ex.Username, ex.Scope, ex.ExpiresIn)}
	if ex.TokenID != "" {
		if _, err := r.d.JFrog.Revoke(ctx, ex.AccessToken, ex.TokenID); err != nil {
			c.Result, c.Detail = Warn, c.Detail+"; the check's token could not be revoked: "+redact.Error(err)
		} else {
			c.Detail += "; the check's token was revoked (JFrog lets tokens under its revocable-expiry-threshold lapse at expiry)"
		}
	}
	r.add(c)
}

// vault reads the secret's attributes (never its value for the report).
func (r *runner) vault(ctx context.Context) {
	const name = "Key Vault secret attributes"
	if r.d.Store == nil {
		r.skipped(name, "rotation settings: "+r.d.Missing["rotation"])
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	p, err := r.d.Store.Properties(ctx)
	if err != nil {
		detail, fix := errText(err)
		r.add(Check{Name: name, Result: Fail, Detail: detail, Fix: cmpOr(fix, "assign the function app's identity Key Vault Secrets Officer on the vault")})
		return
	}
	exp := "no expiry"
	if p.ExpiresOn != nil {
		exp = "expires " + p.ExpiresOn.UTC().Format(time.RFC3339)
	}
	r.add(Check{Name: name, Result: OK, Detail: fmt.Sprintf("secret %s version %s, enabled %v, %s", p.Name, p.Version, p.Enabled, exp)})
	r.vaultWrite(ctx)
}

// vaultWrite tells whether the identity may store new versions, from the
// answer to a harmless call (keyvault.Store.MayWrite), never by writing.
func (r *runner) vaultWrite(ctx context.Context) {
	const name = "Key Vault write permission"
	ok, err := r.d.Store.MayWrite(ctx)
	switch {
	case err != nil:
		detail, fix := errText(err)
		r.add(Check{Name: name, Result: Fail, Detail: detail, Fix: fix})
	case !ok:
		r.add(Check{Name: name, Result: Fail, Detail: "the identity may read the secret but not store new versions: every rotation would fail at the store step",
			Fix: "assign the function app's identity Key Vault Secrets Officer on the vault (Key Vault Secrets User only reads)"})
	default:
		r.add(Check{Name: name, Result: OK, Detail: "the identity may store new versions (checked without writing)"})
	}
}

// storedToken asks JFrog about the stored token and compares its expiry
// with the next scheduled rotation.
func (r *runner) storedToken(ctx context.Context) {
	const name = "stored token (tokens/me)"
	if r.d.Store == nil || r.d.JFrog == nil {
		r.skipped(name, "rotation settings: "+r.d.Missing["rotation"])
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	creds, err := r.d.Store.Current(ctx)
	if err != nil {
		detail, fix := errText(err)
		r.add(Check{Name: name, Result: Fail, Detail: detail, Fix: cmpOr(fix, "run POST /api/KeyVaultSecretRotation?force=true")})
		return
	}
	r.stored = &creds
	info, err := r.d.JFrog.Me(ctx, creds.AccessToken)
	if err != nil {
		detail, _ := errText(err)
		r.add(Check{Name: name, Result: Fail, Detail: "JFrog refuses the stored token of " + creds.Username + ": " + detail,
			Fix: "run POST /api/KeyVaultSecretRotation?force=true (the token is expired or revoked)"})
		return
	}
	c := Check{Name: name, Result: OK, Detail: "JFrog user " + info.Username}
	if !info.ExpiresOn.IsZero() {
		c.Detail += ", expires " + info.ExpiresOn.UTC().Format(time.RFC3339)
		if next, err := rotation.NextRun(r.d.Schedule, r.now()); err == nil {
			c.Detail += ", next scheduled rotation " + next.UTC().Format(time.RFC3339)
			if info.ExpiresOn.Before(next) {
				c.Result = Fail
				c.Fix = "the token expires before the next rotation: run POST /api/KeyVaultSecretRotation?force=true and set ROTATION_SCHEDULE from `handler schedule --ttl SECRET_TTL`"
			}
		}
	}
	r.add(c)
}

// storage reads the lease container's properties.
func (r *runner) storage(ctx context.Context) {
	const name = "host storage lease container"
	if r.d.Locks == nil {
		r.skipped(name, "storage settings: "+r.d.Missing["rotation"])
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	if _, err := r.d.Locks.GetProperties(ctx, nil); err != nil {
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			r.add(Check{Name: name, Result: Warn, Detail: "container " + r.d.LockContainer + " does not exist yet",
				Fix: "none needed if the identity may create it: the first rotation creates it (Storage Blob Data Owner or Contributor)"})
			return
		}
		r.add(Check{Name: name, Result: Fail, Detail: "container " + r.d.LockContainer + ": " + redact.Error(err),
			Fix: "create the container " + r.d.LockContainer + " (ROTATION_LOCK_CONTAINER) in the host storage account, or assign the function app's identity Storage Blob Data Owner on it"})
		return
	}
	r.add(Check{Name: name, Result: OK, Detail: "container " + r.d.LockContainer + " exists"})
}

// azureML reads the workspace and the registry connection and checks the
// trainer image tag in the Artifactory Docker repository.
func (r *runner) azureML(ctx context.Context) {
	if r.d.Workspace == nil {
		why := "job settings: " + r.d.Missing["jobs"]
		r.skipped("AzureML workspace", why)
		r.skipped("AzureML compute", why)
		r.skipped("AzureML registry connection", why)
		r.skipped("trainer image tag", why)
		r.skipped("ML repository", why)
		return
	}
	ctx, cancel := step(ctx)
	defer cancel()
	if err := r.d.Workspace.CheckWorkspace(ctx); err != nil {
		detail, fix := errText(err)
		r.add(Check{Name: "AzureML workspace", Result: Fail, Detail: detail, Fix: cmpOr(fix, "check AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME and assign AzureML Data Scientist to the function app's identity")})
	} else {
		r.add(Check{Name: "AzureML workspace", Result: OK, Detail: "workspace readable"})
	}
	comp, err := r.d.Workspace.GetCompute(ctx, r.d.Compute)
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		r.add(Check{Name: "AzureML compute", Result: Fail, Detail: "compute " + r.d.Compute + " does not exist in the workspace",
			Fix: "create the compute cluster " + r.d.Compute + " or set AZUREML_COMPUTE_NAME to an existing one"})
	case err != nil:
		detail, fix := errText(err)
		r.add(Check{Name: "AzureML compute", Result: Fail, Detail: detail, Fix: fix})
	case comp.ProvisioningState != "" && comp.ProvisioningState != "Succeeded":
		r.add(Check{Name: "AzureML compute", Result: Warn, Detail: "compute " + r.d.Compute + " (" + comp.Type + ") is " + comp.ProvisioningState,
			Fix: "wait for the compute to finish provisioning, or fix it in the studio"})
	default:
		r.add(Check{Name: "AzureML compute", Result: OK, Detail: "compute " + r.d.Compute + " (" + comp.Type + ") " + comp.ProvisioningState})
	}
	conn, err := r.d.Workspace.GetConnection(ctx, r.d.ConnectionName)
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		r.add(Check{Name: "AzureML registry connection", Result: Warn, Detail: "connection " + r.d.ConnectionName + " does not exist yet",
			Fix: "run POST /api/KeyVaultSecretRotation?force=true: the rotation creates it"})
	case err != nil:
		detail, fix := errText(err)
		r.add(Check{Name: "AzureML registry connection", Result: Fail, Detail: detail, Fix: fix})
	case !strings.EqualFold(hostOf(conn.Target), r.d.ArtifactoryHost):
		r.add(Check{Name: "AzureML registry connection", Result: Fail, Detail: "connection " + r.d.ConnectionName + " targets " + conn.Target + ", not ARTIFACTORY_HOST " + r.d.ArtifactoryHost,
			Fix: "run POST /api/KeyVaultSecretRotation?force=true to rewrite it"})
	default:
		r.add(r.connectionCredentials(ctx, fmt.Sprintf("connection %s (%s, %s) targets %s", r.d.ConnectionName, conn.Category, conn.AuthType, conn.Target)))
	}
	ref := r.d.ArtifactoryHost + "/" + r.d.DockerRepo + "/" + r.d.TrainerImage + ":" + r.d.TrainerTag
	if r.stored == nil || r.d.JFrog == nil {
		r.skipped("trainer image tag", "needs the stored token")
		r.skipped("ML repository", "needs the stored token")
		return
	}
	if err := r.d.JFrog.ManifestExists(ctx, r.stored.AccessToken, r.d.DockerRepo, r.d.TrainerImage, r.d.TrainerTag); err != nil {
		detail, fix := errText(err)
		r.add(Check{Name: "trainer image tag", Result: Fail, Detail: ref + ": " + detail, Fix: fix})
		return
	}
	r.add(Check{Name: "trainer image tag", Result: OK, Detail: ref + " exists"})
	info, err := r.d.JFrog.GetRepository(ctx, r.stored.AccessToken, r.d.MLRepo)
	switch {
	case err != nil:
		detail, fix := errText(err)
		r.add(Check{Name: "ML repository", Result: Fail, Detail: detail, Fix: fix})
	case !strings.EqualFold(info.PackageType, "machinelearning"):
		r.add(Check{Name: "ML repository", Result: Fail, Detail: "repository " + r.d.MLRepo + " is a " + info.PackageType + " repository",
			Fix: "set ARTIFACTORY_ML_REPO to a Machine Learning repository (packageType machinelearning)"})
	default:
		r.add(Check{Name: "ML repository", Result: OK, Detail: "repository " + r.d.MLRepo + " (" + info.PackageType + ") exists"})
	}
}

// connectionCredentials compares the connection's credentials with the
// stored ones without showing either: only whether they match.
func (r *runner) connectionCredentials(ctx context.Context, detail string) Check {
	c := Check{Name: "AzureML registry connection", Result: OK, Detail: detail}
	if r.stored == nil {
		c.Detail += "; its credentials were not compared (the stored token could not be read)"
		return c
	}
	cr, err := r.d.Workspace.ListConnectionSecrets(ctx, r.d.ConnectionName)
	switch {
	case err != nil:
		d, _ := errText(err)
		c.Result, c.Detail = Warn, c.Detail+"; its credentials could not be read: "+d
		c.Fix = "to compare them, the function app's identity needs Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action on the workspace"
	case cr.Username != r.stored.Username || subtle.ConstantTimeCompare([]byte(cr.Password.Reveal()), []byte(r.stored.AccessToken.Reveal())) != 1:
		c.Result = Fail
		c.Detail += fmt.Sprintf("; it holds user %s and not the stored token of %s", cr.Username, r.stored.Username)
		c.Fix = "run POST /api/KeyVaultSecretRotation (it refreshes the connection) and check its registry_connection answer"
	default:
		c.Detail += "; it holds the stored token of " + cr.Username
	}
	return c
}

func hostOf(target string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(target, "https://"), "http://")
	h, _, _ := strings.Cut(t, "/")
	return h
}
