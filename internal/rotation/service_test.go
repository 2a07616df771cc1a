package rotation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

func TestRotateStoresVerifiedToken(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name        string
		revokePrev  bool
		answer204   bool
		wantRevoked []string
		wantResult  *bool
	}{
		{"keep previous", false, false, nil, nil},
		{"revoke previous", true, false, []string{"old-id"}, &yes},
		// JFrog's 204 revokes nothing: never reported as revoked.
		{"revoke answered 204", true, true, []string{"old-id"}, &no},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{RevokePrevious: tc.revokePrev}, nil)
			f.jf.answer204 = tc.answer204
			old := oldCreds(t, time.Hour) // less than half of 4h left
			f.store.add(old)
			before := time.Now()
			res, err := f.svc.Rotate(context.Background(), RotateOptions{Trigger: "timer"})
			if err != nil {
				t.Fatal(err)
			}
			latest, _ := f.store.latest()
			if !res.Rotated || res.SecretVersion != "v2" || latest.Version != "v2" || res.Username != "ci-user" || res.TokenID != "new-id-1" {
				t.Fatalf("result = %+v, latest = %s", res, latest.Version)
			}
			if !strings.Contains(res.Reason, "within half of SECRET_TTL") {
				t.Errorf("reason = %q", res.Reason)
			}
			if latest.AccessToken != f.jf.minted[0] || latest.Tags[keyvault.TagTokenID] != "new-id-1" || latest.Tags[keyvault.TagRotatedBy] != DefaultRotatedBy {
				t.Errorf("stored %+v", latest.Properties)
			}
			wantExp := before.Add(4 * time.Hour)
			if latest.ExpiresOn == nil || latest.ExpiresOn.Sub(wantExp).Abs() > 2*time.Second || !res.ExpiresOn.Equal(*latest.ExpiresOn) {
				t.Errorf("expiry = %v, want about %v", latest.ExpiresOn, wantExp)
			}
			if got := f.tokens.scopes; len(got) != 1 || got[0] != audience+"/.default" {
				t.Errorf("scopes = %v", got)
			}
			if got := f.jf.revokedIDs(); fmt.Sprint(got) != fmt.Sprint(tc.wantRevoked) {
				t.Errorf("revoked = %v, want %v", got, tc.wantRevoked)
			}
			if (res.PreviousRevoked == nil) != (tc.wantResult == nil) || res.PreviousRevoked != nil && *res.PreviousRevoked != *tc.wantResult {
				t.Errorf("PreviousRevoked = %v, want %v", fmtBool(res.PreviousRevoked), fmtBool(tc.wantResult))
			}
			if tc.answer204 && !strings.Contains(res.PreviousRevokeReason, "revocable-expiry-threshold") {
				t.Errorf("PreviousRevokeReason = %q, want the threshold named", res.PreviousRevokeReason)
			}
			if f.locker.held || f.locker.locks != 1 {
				t.Errorf("lock held=%v locks=%d", f.locker.held, f.locker.locks)
			}
		})
	}
}

func TestSkipWhenFresh(t *testing.T) {
	tests := []struct {
		name     string
		stored   *time.Duration // time left; nil: no secret
		force    bool
		malform  bool
		noExpiry bool
		rotated  bool
		reason   string
	}{
		{"fresh skips", ptr(3 * time.Hour), false, false, false, false, "more than half of SECRET_TTL"},
		{"fresh forced", ptr(3 * time.Hour), true, false, false, true, "forced"},
		{"half left rotates", ptr(2*time.Hour - time.Minute), false, false, false, true, "within half"},
		{"expired rotates", ptr(-time.Hour), false, false, false, true, "has expired"},
		{"missing secret rotates", nil, false, false, false, true, "no version yet"},
		{"malformed rotates", ptr(3 * time.Hour), false, true, false, true, "malformed"},
		{"no expiry rotates", ptr(3 * time.Hour), false, false, true, true, "no recorded expiry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{}, nil)
			if tc.stored != nil {
				c := oldCreds(t, *tc.stored)
				if tc.noExpiry {
					c.ExpiresOn = nil
				}
				f.store.add(c)
			}
			f.store.malformed = tc.malform
			res, err := f.svc.Rotate(context.Background(), RotateOptions{Force: tc.force})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rotated != tc.rotated || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("result = %+v, want rotated=%v reason ~ %q", res, tc.rotated, tc.reason)
			}
			if got := int(f.jf.exchanges.Load()); (got == 1) != tc.rotated {
				t.Errorf("exchanges = %d", got)
			}
			if !tc.rotated && (res.SecretVersion != "v1" || res.Username != "ci-user" || res.ExpiresOn.IsZero()) {
				t.Errorf("skip result lacks the stored version: %+v", res)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

var (
	errJFrog = func(status int) error {
		return &upstream.ResponseError{Service: jfrog.Service, StatusCode: status, Code: http.StatusText(status), Method: "POST", URL: "https://jfrog.test/access/api/v1/oidc/token"}
	}
	errKV = func(status int) error {
		return &upstream.ResponseError{Service: keyvault.Service, StatusCode: status, Code: http.StatusText(status), Method: "PUT", URL: "https://kv.test/secrets/s"}
	}
)

// TestFailuresLeaveOldSecret injects a failure at every step and checks the
// status, that the old version is still the latest, and what was revoked.
func TestFailuresLeaveOldSecret(t *testing.T) {
	expired := func(t testing.TB) string {
		return signJWT(t, jwt.MapClaims{"aud": audience, "exp": time.Now().Add(-time.Minute).Unix()})
	}
	wrongAud := func(t testing.TB) string {
		return signJWT(t, jwt.MapClaims{"aud": "api://someone-else", "exp": time.Now().Add(time.Hour).Unix()})
	}
	tests := []struct {
		name        string
		setup       func(t *testing.T, f *fixture)
		kind        errkind.Kind
		step        string
		wantRevoked []string
		detail      string
	}{
		{"identity endpoint fails", func(t *testing.T, f *fixture) { f.tokens.err = errors.New("identity endpoint: 500") }, errkind.Authentication, "get managed identity token", nil, "UAMI_CLIENT_ID"},
		{"identity deadline", func(t *testing.T, f *fixture) { f.tokens.err = fmt.Errorf("GET msi: %w", context.DeadlineExceeded) }, errkind.Timeout, "get managed identity token", nil, ""},
		{"token not a jwt", func(t *testing.T, f *fixture) { f.tokens.token = "not-a-jwt" }, errkind.Authentication, "check managed identity token", nil, "well-formed"},
		{"token expired", func(t *testing.T, f *fixture) { f.tokens.token = expired(t) }, errkind.Authentication, "check managed identity token", nil, "expired"},
		{"wrong audience", func(t *testing.T, f *fixture) { f.tokens.token = wrongAud(t) }, errkind.Authentication, "check managed identity token", nil, "AZURE_AD_TOKEN_AUDIENCE"},
		{"exchange 401", func(t *testing.T, f *fixture) { f.jf.exchangeErr = errJFrog(401) }, errkind.Authentication, "exchange token at JFrog", nil, ""},
		{"exchange 403", func(t *testing.T, f *fixture) { f.jf.exchangeErr = errJFrog(403) }, errkind.Forbidden, "exchange token at JFrog", nil, ""},
		{"exchange 400", func(t *testing.T, f *fixture) { f.jf.exchangeErr = errJFrog(400) }, errkind.Upstream, "exchange token at JFrog", nil, ""},
		{"exchange 500", func(t *testing.T, f *fixture) { f.jf.exchangeErr = errJFrog(500) }, errkind.Upstream, "exchange token at JFrog", nil, ""},
		{"exchange malformed", func(t *testing.T, f *fixture) {
			f.jf.exchangeErr = fmt.Errorf("token exchange reply is not valid JSON: %w", upstream.ErrUnavailable)
		}, errkind.Upstream, "exchange token at JFrog", nil, ""},
		{"exchange stalls", func(t *testing.T, f *fixture) { f.jf.exchangeErr = fmt.Errorf("jfrog: %w", context.DeadlineExceeded) }, errkind.Timeout, "exchange token at JFrog", nil, ""},
		{"tokens/me 401", func(t *testing.T, f *fixture) { f.jf.meErr = errJFrog(401) }, errkind.Upstream, "verify new token", []string{"new-id-1"}, ""},
		{"no username", func(t *testing.T, f *fixture) { f.jf.noUser = true; f.jf.meErr = nil }, errkind.Upstream, "verify new token", []string{"new-id-1"}, "token_spec.username"},
		{"store 403", func(t *testing.T, f *fixture) { f.store.putErr = errKV(403) }, errkind.Forbidden, "store new version", []string{"new-id-1"}, ""},
		{"store 401", func(t *testing.T, f *fixture) { f.store.putErr = errKV(401) }, errkind.Authentication, "store new version", []string{"new-id-1"}, ""},
		{"store 500 not landed", func(t *testing.T, f *fixture) { f.store.putErr = errKV(500) }, errkind.Upstream, "store new version", nil, ""},
		{"store 429 not landed", func(t *testing.T, f *fixture) { f.store.putErr = errKV(429) }, errkind.Upstream, "store new version", nil, ""},
		{"store 400", func(t *testing.T, f *fixture) { f.store.putErr = errKV(400) }, errkind.Upstream, "store new version", []string{"new-id-1"}, ""},
		{"store stalls, read-back fails", func(t *testing.T, f *fixture) {
			f.store.putErr = fmt.Errorf("put: %w", context.DeadlineExceeded)
			f.store.readBackErr = errKV(503)
		}, errkind.Timeout, "store new version", nil, ""},
		{"read current 403", func(t *testing.T, f *fixture) { f.store.currentErr = errKV(403) }, errkind.Forbidden, "read current secret", nil, ""},
		{"vault host missing", func(t *testing.T, f *fixture) {
			f.store.currentErr = fmt.Errorf("host not found: %w: %w", keyvault.ErrVaultNotFound, upstream.ErrNotFound)
		}, errkind.NotFound, "read current secret", nil, ""},
		{"lease busy", func(t *testing.T, f *fixture) { f.locker.busy = true }, errkind.Locked, "acquire rotation lock", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{RevokePrevious: true}, nil)
			f.store.add(oldCreds(t, time.Minute))
			tc.setup(t, f)
			_, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true, Trigger: "http"})
			if err == nil {
				t.Fatal("want error")
			}
			var re *Error
			if !errors.As(err, &re) || re.Step != tc.step {
				t.Fatalf("err = %v, want step %q", err, tc.step)
			}
			if got := errkind.Of(err); got != tc.kind {
				t.Errorf("kind = %v, want %v (%v)", got, tc.kind, err)
			}
			if tc.detail != "" && !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q lacks %q", err, tc.detail)
			}
			latest, _ := f.store.latest()
			if latest.Version != "v1" || latest.TokenID() != "old-id" {
				t.Errorf("latest version changed to %s", latest.Version)
			}
			if got := f.jf.revokedIDs(); fmt.Sprint(got) != fmt.Sprint(tc.wantRevoked) {
				t.Errorf("revoked = %v, want %v", got, tc.wantRevoked)
			}
			for _, m := range f.jf.minted {
				if strings.Contains(err.Error(), m.Reveal()) {
					t.Error("error holds the new token")
				}
			}
			if f.locker.held {
				t.Error("lock not released")
			}
		})
	}
}

// TestStoreErrorButLanded: the write reached Key Vault but its reply was
// lost; the read-back finds the new token, so the run succeeds and nothing
// is revoked.
func TestStoreErrorButLanded(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	f.store.add(oldCreds(t, time.Minute))
	f.store.putErr, f.store.putLands = errKV(500), true
	res, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rotated || res.SecretVersion != "v2" {
		t.Errorf("result = %+v", res)
	}
	if got := f.jf.revokedIDs(); len(got) != 0 {
		t.Errorf("revoked %v: the stored token would be dead", got)
	}
}

func TestCoalescingStaggered(t *testing.T) {
	// Callers arriving over 50 ms share one run thanks to the window.
	f := newFixture(t, Config{CoalesceWindow: 150 * time.Millisecond}, nil)
	f.store.add(oldCreds(t, time.Minute))
	var wg sync.WaitGroup
	results := make([]Result, 50)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * time.Millisecond)
			var err error
			if results[i], err = f.svc.Rotate(context.Background(), RotateOptions{Force: true}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.jf.exchanges.Load(); n != 1 {
		t.Fatalf("exchanges = %d, want 1", n)
	}
	for i := range results {
		if results[i] != results[0] {
			t.Fatalf("caller %d got %+v, want %+v", i, results[i], results[0])
		}
	}
}

func TestCoalescing(t *testing.T) {
	f := newFixture(t, Config{CoalesceWindow: -1}, nil)
	f.store.add(oldCreds(t, time.Minute))
	f.jf.exchangeWait = 200 * time.Millisecond
	const callers = 50
	results := make([]Result, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = f.svc.Rotate(context.Background(), RotateOptions{Force: true, Trigger: "http"})
		}()
	}
	close(start)
	wg.Wait()
	if n := f.jf.exchanges.Load(); n != 1 {
		t.Fatalf("exchanges = %d, want 1", n)
	}
	for i := range callers {
		if errs[i] != nil || results[i] != results[0] {
			t.Fatalf("caller %d: %+v %v, want %+v", i, results[i], errs[i], results[0])
		}
	}
	if !results[0].Rotated || f.store.puts != 1 {
		t.Errorf("result %+v, puts %d", results[0], f.store.puts)
	}
	// A later call runs again.
	if _, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true}); err != nil || f.jf.exchanges.Load() != 2 {
		t.Errorf("second run: %v, exchanges %d", err, f.jf.exchanges.Load())
	}
}

// TestCallerDeadlineDoesNotAbortSharedRun: the first caller gives up, a
// second caller still gets the shared run's result.
func TestCallerDeadlineDoesNotAbortSharedRun(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	f.store.add(oldCreds(t, time.Minute))
	f.jf.exchangeWait = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := f.svc.Rotate(ctx, RotateOptions{Force: true})
		first <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-first; errkind.Of(err) != errkind.Timeout {
		t.Errorf("cancelled caller: %v", err)
	}
	res, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true})
	if err != nil || !res.Rotated {
		t.Fatalf("joined caller: %+v %v", res, err)
	}
	if n := f.jf.exchanges.Load(); n != 1 {
		t.Errorf("exchanges = %d, want 1", n)
	}
}

// TestConcurrentInstanceRotated: while this instance waited for the lock,
// another one stored a new version; the run returns that result.
func TestConcurrentInstanceRotated(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	f.store.add(oldCreds(t, time.Minute))
	f.locker.onLock = func() {
		c := oldCreds(t, 4*time.Hour)
		now := time.Now()
		c.Created = &now
		c.Tags[keyvault.TagTokenID] = "other-instance-id"
		f.store.add(c)
	}
	res, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rotated || res.TokenID != "other-instance-id" || !strings.Contains(res.Reason, "concurrent run") {
		t.Errorf("result = %+v", res)
	}
	if f.jf.exchanges.Load() != 0 {
		t.Error("exchanged although another instance had rotated")
	}
}

func TestNewServiceConfig(t *testing.T) {
	_, err := NewService(Config{}, Dependencies{})
	if errkind.Of(err) != errkind.Config {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"AZURE_AD_TOKEN_AUDIENCE", "JFROG_OIDC_PROVIDER_NAME", "SECRET_TTL"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%v lacks %s", err, s)
		}
	}
	if _, err := NewService(Config{Audience: "a", ProviderName: "p", SecretTTL: time.Hour}, Dependencies{}); err == nil {
		t.Error("missing dependencies accepted")
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	if _, err := f.svc.Status(context.Background()); errkind.Of(err) != errkind.NotFound {
		t.Fatalf("missing secret: %v", err)
	}
	c := oldCreds(t, 30*time.Minute)
	c.Tags[keyvault.TagUsername] = "ci-user"
	f.store.add(c)
	st, err := f.svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "v1" || st.TokenID != "old-id" || st.Username != "ci-user" || st.Expired || st.Age < 59*time.Minute {
		t.Errorf("status = %+v", st)
	}
	if !st.ExpiresBefore(time.Now().Add(time.Hour)) || st.ExpiresBefore(time.Now()) {
		t.Error("ExpiresBefore wrong")
	}
	f.store.currentErr = errKV(403)
	if _, err := f.svc.Status(context.Background()); errkind.Of(err) != errkind.Forbidden {
		t.Errorf("forbidden: %v", err)
	}
}

// TestAmbiguousStoreNeverRevokes: Key Vault answers 500 (or the reply is
// lost) and the write lands only after the read-back. Revoking the new
// token then would leave a revoked token as the latest version; the run
// must fail without revoking anything, so whatever version ends up latest
// works.
func TestAmbiguousStoreNeverRevokes(t *testing.T) {
	for _, putErr := range []error{errKV(500), errKV(503), fmt.Errorf("put: %w", context.DeadlineExceeded)} {
		t.Run(putErr.Error(), func(t *testing.T) {
			f := newFixture(t, Config{RevokePrevious: true}, nil)
			f.store.add(oldCreds(t, time.Minute))
			f.store.putErr, f.store.landsLate = putErr, true
			if _, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true}); err == nil {
				t.Fatal("want the store error")
			}
			if got := f.jf.revokedIDs(); len(got) != 0 {
				t.Errorf("revoked %v after an ambiguous store failure", got)
			}
			latest, _ := f.store.latest()
			if latest.TokenID() != "new-id-1" {
				t.Fatalf("the late write did not land: latest is %s (%s)", latest.Version, latest.TokenID())
			}
		})
	}
}

// TestSelfHealing: a stored token that looks fresh is still checked with
// tokens/me; when JFrog refuses it (401, 403) the timer run replaces it,
// while a JFrog outage keeps it (no churn).
func TestSelfHealing(t *testing.T) {
	tests := []struct {
		name    string
		meErr   error
		rotated bool
	}{
		{"works", nil, false},
		{"401 revoked", errJFrog(401), true},
		{"403 refused", errJFrog(403), true},
		{"503 outage", errJFrog(503), false},
		{"unreachable", fmt.Errorf("dial: %w", upstream.ErrUnavailable), false},
		{"deadline", fmt.Errorf("me: %w", context.DeadlineExceeded), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{}, nil)
			f.store.add(oldCreds(t, 3*time.Hour))
			f.jf.refuse = map[string]error{"old-id": tc.meErr}
			res, err := f.svc.Rotate(context.Background(), RotateOptions{Trigger: "timer"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rotated != tc.rotated {
				t.Fatalf("rotated = %v, want %v (%s)", res.Rotated, tc.rotated, res.Reason)
			}
			if tc.rotated && !strings.Contains(res.Reason, "refuses the stored token") {
				t.Errorf("reason = %q", res.Reason)
			}
			if got, want := int(f.jf.exchanges.Load()), map[bool]int{true: 1, false: 0}[tc.rotated]; got != want {
				t.Errorf("exchanges = %d, want %d", got, want)
			}
		})
	}
}

// TestLostLeaseStopsBeforeStore loses the cross-instance lease while the
// new token is being verified: the run must not store it (another instance
// may hold the lock by now), must revoke it, and must report the lock.
func TestLostLeaseStopsBeforeStore(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	old := oldCreds(t, time.Hour)
	f.store.add(old)
	f.jf.onMe = f.locker.loseLease
	_, err := f.svc.Rotate(context.Background(), RotateOptions{Trigger: "timer", Force: true})
	var re *Error
	if !errors.As(err, &re) || re.Kind != errkind.Locked || !errors.Is(err, lease.ErrLost) {
		t.Fatalf("err = %v, want an errkind.Locked error matching lease.ErrLost", err)
	}
	if latest, _ := f.store.latest(); latest.AccessToken != old.AccessToken {
		t.Fatalf("a version was stored after the lease was lost: %s", latest.Version)
	}
	if got := f.jf.revokedIDs(); fmt.Sprint(got) != "[new-id-1]" {
		t.Errorf("revoked = %v, want the minted token new-id-1", got)
	}
	if f.locker.held {
		t.Error("lock not released")
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func TestRevokeWarning(t *testing.T) {
	tests := []struct {
		revoke bool
		ttl    time.Duration
		warn   bool
	}{
		{true, 4 * time.Hour, true},
		{true, 6*time.Hour - time.Second, true},
		{true, 6 * time.Hour, false},
		{false, time.Hour, false},
	}
	for _, tc := range tests {
		got := Config{RevokePrevious: tc.revoke, SecretTTL: tc.ttl}.RevokeWarning()
		if (got != "") != tc.warn || tc.warn && !strings.Contains(got, "21600") {
			t.Errorf("RevokeWarning(%v, %v) = %q", tc.revoke, tc.ttl, got)
		}
	}
}
