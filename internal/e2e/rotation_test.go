package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rotationReply is the body of POST /api/KeyVaultSecretRotation.
type rotationReply struct {
	Status        string `json:"status"`
	Rotated       bool   `json:"rotated"`
	Reason        string `json:"reason"`
	Username      string `json:"username"`
	ExpiresOn     string `json:"expires_on"`
	SecretVersion string `json:"secret_version"`
	TokenID       string `json:"token_id"`
}

// healthReply is the part of GET /api/health the tests read.
type healthReply struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	Token   *struct {
		Version   string `json:"secret_version"`
		ExpiresOn string `json:"expires_on"`
		Expired   bool   `json:"expired"`
	} `json:"token"`
}

func rotate(t testing.TB, h *host, query string) (int, rotationReply, string) {
	t.Helper()
	status, body := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation"+query, "", "function")
	var r rotationReply
	if status == http.StatusOK {
		decode(t, body, &r)
	}
	return status, r, body
}

func TestRotation(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)

	t.Run("health without a stored token", func(t *testing.T) {
		other := startHost(t, s, map[string]string{"ARTIFACTORY_TOKEN_SECRET_NAME": "never-rotated"})
		if status, body := other.call(t, http.MethodGet, "/api/health", "", ""); status != http.StatusServiceUnavailable {
			t.Errorf("health with no stored token = %d %s, want 503", status, body)
		}
		status, body := other.call(t, http.MethodGet, "/api/health/details", "", "function")
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "never-rotated") {
			t.Errorf("health details with no stored token = %d %s, want 503 naming the secret", status, body)
		}
	})

	status, first, body := rotate(t, h, "?force=true")
	if status != http.StatusOK || !first.Rotated || first.Username != "frogbridge-rotation" || first.SecretVersion == "" {
		t.Fatalf("first rotation = %d %s\n%s", status, body, h.out)
	}
	version, token, user := s.storedCredentials(t, kv)
	if version != first.SecretVersion || user != first.Username {
		t.Errorf("Key Vault holds version %s user %s, the reply said %s %s", version, user, first.SecretVersion, first.Username)
	}
	if code := s.jfrogMe(t, token); code != http.StatusOK {
		t.Fatalf("stored token does not work at JFrog: tokens/me = %d", code)
	}

	t.Run("fresh token skips", func(t *testing.T) {
		status, r, body := rotate(t, h, "")
		if status != http.StatusOK || r.Rotated || r.Reason == "" {
			t.Fatalf("second rotation = %d %s, want a skip with a reason", status, body)
		}
		if v, _, _ := s.storedCredentials(t, kv); v != version {
			t.Errorf("a skipped rotation wrote version %s", v)
		}
	})
	t.Run("force rotates", func(t *testing.T) {
		status, r, body := rotate(t, h, "?force=true")
		if status != http.StatusOK || !r.Rotated || r.SecretVersion == version {
			t.Fatalf("forced rotation = %d %s", status, body)
		}
		v, tok, _ := s.storedCredentials(t, kv)
		if v != r.SecretVersion || tok == token {
			t.Errorf("forced rotation stored version %s (reply %s), same token: %v", v, r.SecretVersion, tok == token)
		}
		if code := s.jfrogMe(t, tok); code != http.StatusOK {
			t.Errorf("new token: tokens/me = %d", code)
		}
		version, token = v, tok
	})
	t.Run("bad force value", func(t *testing.T) {
		if status, _, _ := rotate(t, h, "?force=maybe"); status != http.StatusBadRequest {
			t.Errorf("force=maybe = %d, want 400", status)
		}
	})
	t.Run("health reports the token", func(t *testing.T) {
		status, body := h.call(t, http.MethodGet, "/api/health/details", "", "function")
		var rep healthReply
		decode(t, body, &rep)
		if status != http.StatusOK || rep.Token == nil || rep.Token.Version != version || rep.Token.Expired {
			t.Fatalf("health = %d %s", status, body)
		}
		if strings.Contains(body, token) {
			t.Fatal("health shows the token")
		}
	})
	t.Run("revoke previous", func(t *testing.T) {
		h2 := startHost(t, s, map[string]string{"ROTATION_REVOKE_PREVIOUS": "true"})
		_, old, _ := s.storedCredentials(t, kv)
		status, r, body := rotate(t, h2, "?force=true")
		if status != http.StatusOK || !r.Rotated {
			t.Fatalf("rotation = %d %s", status, body)
		}
		if code := s.jfrogMe(t, old); code != http.StatusUnauthorized {
			t.Errorf("replaced token: tokens/me = %d, want 401 (revoked)", code)
		}
		_, tok, _ := s.storedCredentials(t, kv)
		if code := s.jfrogMe(t, tok); code != http.StatusOK {
			t.Errorf("new token: tokens/me = %d", code)
		}
	})
	t.Run("timer rotates through the admin API", func(t *testing.T) {
		// A scheduled run skips a fresh token; with a TTL this long the
		// stored token counts as due, so the timer rotates.
		h2 := startHost(t, s, map[string]string{"SECRET_TTL": "86400"})
		before := s.versions(t, kv)
		status, _ := h2.call(t, http.MethodPost, "/admin/functions/KeyVaultSecretRotation", `{"input":""}`, "master")
		if status != http.StatusAccepted {
			t.Fatalf("admin invoke = %d, want 202", status)
		}
		waitUntil(t, 60*time.Second, "the timer to store a new version", func() bool { return s.versions(t, kv) == before+1 })
		_, tok, _ := s.storedCredentials(t, kv)
		if code := s.jfrogMe(t, tok); code != http.StatusOK {
			t.Errorf("timer's token: tokens/me = %d", code)
		}
		waitUntil(t, 10*time.Second, "the host to log the timer's success", func() bool {
			return strings.Contains(h2.out.String(), `"result":"Succeeded"`)
		})
	})
	scanForLeaks(t, s, h, kv)
}

// TestConcurrentRotations: 50 HTTP callers and a timer run at once lead to
// exactly one new token, and every caller gets the same result.
func TestConcurrentRotations(t *testing.T) {
	s := sharedStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("initial rotation: %s", body)
	}
	before := s.versions(t, kv)
	const callers = 50
	var wg sync.WaitGroup
	replies := make([]rotationReply, callers)
	statuses := make([]int, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i], replies[i], _ = rotate(t, h, "?force=true")
		}(i)
	}
	if status, _ := h.call(t, http.MethodPost, "/admin/functions/KeyVaultSecretRotation", `{"input":""}`, "master"); status != http.StatusAccepted {
		t.Errorf("timer invoke = %d", status)
	}
	wg.Wait()
	for i := range replies {
		if statuses[i] != http.StatusOK {
			t.Fatalf("caller %d got %d", i, statuses[i])
		}
		if replies[i].SecretVersion != replies[0].SecretVersion || !replies[i].Rotated {
			t.Fatalf("caller %d got %+v, caller 0 got %+v", i, replies[i], replies[0])
		}
	}
	waitUntil(t, 30*time.Second, "the timer run to finish", func() bool {
		return strings.Contains(h.out.String(), `"message":"Executed"`)
	})
	if got := s.versions(t, kv); got != before+1 {
		t.Fatalf("versions after 50 concurrent rotations and a timer = %d, want %d (exactly one exchange)", got, before+1)
	}
}

// TestRotationFaults arms one failure per dependency and checks the answer,
// that the previous version stays the latest and still works, and that no
// token leaks.
func TestRotationFaults(t *testing.T) {
	t.Parallel()
	s := privateStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("initial rotation: %s", body)
	}
	type dep struct {
		name, service, method, path string
		freshHost                   bool // token caches hide faults from a running handler
	}
	deps := []dep{
		{"identity endpoint", "entra", "GET", "/msi/token", true},
		{"token exchange", "jfrog", "POST", "/access/api/v1/oidc/token", false},
		{"tokens/me", "jfrog", "GET", "/access/api/v1/tokens/me", false},
		{"key vault write", "keyvault", "PUT", "/secrets/", false},
		{"blob lease", "storage", "PUT", "/devstoreaccount1/frogbridge-locks", false},
	}
	faults := []struct {
		name    string
		fault   map[string]any
		wantOK  bool
		wantAny []int
	}{
		{"429 once then ok", map[string]any{"action": "status", "status": 429, "retry_after": "1", "times": 1}, true, nil},
		{"500", map[string]any{"action": "status", "status": 500}, false, []int{502, 401, 500}},
		{"drop", map[string]any{"action": "drop"}, false, []int{502, 401, 500}},
		{"malformed JSON", map[string]any{"action": "body", "status": 200, "body": "{not json"}, false, []int{502, 401, 500}},
		{"401", map[string]any{"action": "body", "status": 401, "body": `{"errors":[{"status":401,"message":"bad credentials"}],"error":{"code":"Unauthorized","message":"no"}}`}, false, []int{401}},
		{"403", map[string]any{"action": "body", "status": 403, "body": `{"errors":[{"status":403,"message":"forbidden"}],"error":{"code":"Forbidden","message":"no"}}`}, false, []int{403, 401}},
	}
	for _, d := range deps {
		for _, f := range faults {
			t.Run(d.name+"/"+f.name, func(t *testing.T) {
				version, token, _ := s.storedCredentials(t, kv)
				target := h
				if d.freshHost {
					target = startHost(t, s, nil)
				}
				fault := map[string]any{"service": d.service, "method": d.method, "path": d.path}
				for k, v := range f.fault {
					fault[k] = v
				}
				s.fault(t, fault)
				status, r, body := rotate(t, target, "?force=true")
				s.clearFaults(t)
				if f.wantOK {
					if status != http.StatusOK || !r.Rotated {
						t.Fatalf("rotation = %d %s, want a retried success", status, body)
					}
					return
				}
				want := f.wantAny
				if d.name == "tokens/me" {
					// JFrog refusing the token it just minted is an upstream
					// failure, not the caller's authentication.
					want = []int{502}
				}
				if !contains(want, status) {
					t.Errorf("rotation = %d %s, want one of %v", status, body, want)
				}
				var e struct{ Error, Details string }
				decode(t, body, &e)
				if e.Error == "" || e.Details == "" {
					t.Errorf("error body lacks error/details: %s", body)
				}
				v, tok, _ := s.storedCredentials(t, kv)
				if v != version || tok != token {
					t.Fatalf("a failed rotation changed the latest version %s -> %s", version, v)
				}
				if code := s.jfrogMe(t, tok); code != http.StatusOK {
					t.Fatalf("previous token no longer works after a failed rotation: %d", code)
				}
			})
		}
	}
	scanForLeaks(t, s, h, kv)
}

// TestKillDuringRotation kills the handler while it writes to Key Vault;
// the vault still holds a working token.
func TestKillDuringRotation(t *testing.T) {
	t.Parallel()
	s := privateStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("initial rotation: %s", body)
	}
	s.fault(t, map[string]any{"service": "keyvault", "method": "PUT", "path": "/secrets/", "action": "stall", "delay": "20s", "times": 1})
	done := make(chan int, 1)
	go func() {
		status, _ := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", "function")
		done <- status
	}()
	pid := waitForHandlerPID(t, h)
	time.Sleep(2 * time.Second) // the rotation is now stalled in the Key Vault write
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if status := <-done; status == http.StatusOK {
		t.Fatal("a rotation killed mid-way reported success")
	}
	s.clearFaults(t)
	_, tok, _ := s.storedCredentials(t, kv)
	if code := s.jfrogMe(t, tok); code != http.StatusOK {
		t.Fatalf("after kill -9 the stored token does not work: %d", code)
	}
	// The host restarts the handler and rotation works again.
	waitUntil(t, 30*time.Second, "the handler to be back", func() bool {
		status, _, _ := rotate(t, h, "?force=true")
		return status == http.StatusOK
	})
}

func waitForHandlerPID(t testing.TB, h *host) int {
	t.Helper()
	var pid int
	waitUntil(t, 10*time.Second, "the handler's pid", func() bool {
		for _, line := range strings.Split(h.out.String(), "\n") {
			if strings.Contains(line, `"message":"custom handler ready"`) {
				fmt.Sscanf(line[strings.Index(line, `"pid":`)+6:], "%d", &pid)
			}
		}
		return pid != 0
	})
	return pid
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestRotationStallPastDeadline: a dependency that stalls past the 30 s
// per-try deadline is abandoned and retried; the rotation succeeds within
// the invocation's deadline and the stored token works.
func TestRotationStallPastDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("each case takes over 30 s")
	}
	t.Parallel()
	s := privateStack(t)
	kv := s.vault(t)
	deps := []struct {
		name, service, method, path string
		freshHost                   bool
	}{
		{"identity endpoint", "entra", "GET", "/msi/token", true},
		{"token exchange", "jfrog", "POST", "/access/api/v1/oidc/token", false},
		{"tokens/me", "jfrog", "GET", "/access/api/v1/tokens/me", false},
		{"key vault write", "keyvault", "PUT", "/secrets/", false},
		{"blob lease", "storage", "PUT", "/devstoreaccount1/frogbridge-locks", false},
	}
	h := startHost(t, s, nil)
	for _, d := range deps {
		t.Run(d.name, func(t *testing.T) {
			target := h
			if d.freshHost {
				target = startHost(t, s, nil)
			}
			s.fault(t, map[string]any{"service": d.service, "method": d.method, "path": d.path, "action": "stall", "delay": "35s", "times": 1})
			defer s.clearFaults(t)
			start := time.Now()
			status, r, body := rotate(t, target, "?force=true")
			if status != http.StatusOK || !r.Rotated {
				t.Fatalf("rotation = %d %s", status, body)
			}
			if d := time.Since(start); d < 30*time.Second {
				t.Errorf("rotation took %s: the stall did not apply", d)
			}
			_, tok, _ := s.storedCredentials(t, kv)
			if code := s.jfrogMe(t, tok); code != http.StatusOK {
				t.Fatalf("stored token after a stalled call: tokens/me = %d", code)
			}
		})
	}
}

// runTimer invokes the rotation timer through the admin API and waits for
// the host to log its result.
func runTimer(t testing.TB, h *host) {
	t.Helper()
	done := strings.Count(h.out.String(), `"message":"Executed"`)
	if status, _ := h.call(t, http.MethodPost, "/admin/functions/KeyVaultSecretRotation", `{"input":""}`, "master"); status != http.StatusAccepted {
		t.Fatalf("admin invoke = %d, want 202", status)
	}
	waitUntil(t, 60*time.Second, "the timer run to finish", func() bool {
		return strings.Count(h.out.String(), `"message":"Executed"`) > done
	})
}

// TestRotationSelfHealing: Key Vault answers 503 to every write of a
// rotation while each write still lands seconds later, after the run has
// read the vault back and given up. The run must not revoke its token (it
// becomes the latest version), and the next timer run finds a working
// token and keeps it. A stored token revoked out of band is replaced by
// the next timer run although it looks fresh.
func TestRotationSelfHealing(t *testing.T) {
	t.Parallel()
	s := privateStack(t)
	h := startHost(t, s, nil)
	kv := s.vault(t)
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("initial rotation: %s", body)
	}

	t.Run("write lands after the run gave up", func(t *testing.T) {
		before := s.versions(t, kv)
		const times = 20
		s.fault(t, map[string]any{"service": "keyvault", "method": "PUT", "path": "/secrets/", "action": "late",
			"status": 503, "retry_after": "1", "delay": "6s", "times": times})
		status, _, body := rotate(t, h, "?force=true")
		attempts := s.faultsConsumed(t, times)
		s.clearFaults(t)
		if status == http.StatusOK || attempts == 0 {
			t.Fatalf("rotation = %d %s after %d refused writes, want a failure", status, body, attempts)
		}
		waitUntil(t, 30*time.Second, "the late writes to land", func() bool { return s.versions(t, kv) == before+attempts })
		_, tok, _ := s.storedCredentials(t, kv)
		if code := s.jfrogMe(t, tok); code != http.StatusOK {
			t.Fatalf("Key Vault's latest version holds a token JFrog refuses (tokens/me = %d): the run revoked a token whose write landed", code)
		}
		runTimer(t, h)
		if got := s.versions(t, kv); got != before+attempts {
			t.Errorf("the timer rotated a working token: %d versions, want %d", got, before+attempts)
		}
	})
	t.Run("revoked out of band", func(t *testing.T) {
		before := s.versions(t, kv)
		_, tok, _ := s.storedCredentials(t, kv)
		s.jfrogRevokeSelf(t, tok)
		runTimer(t, h)
		if got := s.versions(t, kv); got != before+1 {
			t.Fatalf("timer after an out-of-band revocation: %d versions, want %d\n%s", got, before+1, h.out)
		}
		_, fresh, _ := s.storedCredentials(t, kv)
		if code := s.jfrogMe(t, fresh); code != http.StatusOK {
			t.Errorf("replacement token: tokens/me = %d", code)
		}
	})
	scanForLeaks(t, s, h, kv)
}

// forceWithHeaders forces a rotation and returns the status, the
// Retry-After header and the body.
func forceWithHeaders(t testing.TB, h *host) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/KeyVaultSecretRotation?force=true", nil)
	req.Header.Set("x-functions-key", h.functionKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// TestForcedRotationLimit: two instances share the lock blob; a forced
// rotation within ROTATION_FORCE_MIN_INTERVAL of the last one, on either
// instance, answers 429 with Retry-After and stores nothing; after the
// wait it rotates again.
func TestForcedRotationLimit(t *testing.T) {
	s := sharedStack(t)
	settings := map[string]string{"ROTATION_FORCE_MIN_INTERVAL": "4", "ROTATION_LOCK_CONTAINER": "force-limit-e2e"}
	a, b := startHost(t, s, settings), startHost(t, s, settings)
	kv := s.vault(t)
	if status, _, body := forceWithHeaders(t, a); status != http.StatusOK {
		t.Fatalf("first forced rotation = %d %s", status, body)
	}
	before := s.versions(t, kv)
	var wait int
	for name, h := range map[string]*host{"other instance": b, "same instance": a} {
		status, retry, body := forceWithHeaders(t, h)
		if status != http.StatusTooManyRequests {
			t.Fatalf("%s: forced again at once = %d %s, want 429", name, status, body)
		}
		n, err := strconv.Atoi(retry)
		if err != nil || n < 1 || n > 4 {
			t.Fatalf("%s: Retry-After = %q, want 1..4 seconds", name, retry)
		}
		wait = max(wait, n)
		var e struct{ Error, Details string }
		decode(t, body, &e)
		if !strings.Contains(e.Details, "ROTATION_FORCE_MIN_INTERVAL") {
			t.Errorf("%s: details do not name the setting: %s", name, body)
		}
	}
	if status, r, body := rotate(t, b, ""); status != http.StatusOK || r.Rotated {
		t.Errorf("unforced call within the interval = %d %s, want a skip", status, body)
	}
	if got := s.versions(t, kv); got != before {
		t.Fatalf("refused forced rotations stored %d versions", got-before)
	}
	time.Sleep(time.Duration(wait) * time.Second)
	if status, _, body := forceWithHeaders(t, b); status != http.StatusOK {
		t.Fatalf("forced rotation after Retry-After = %d %s", status, body)
	}
}

// TestRevokeBelowJFrogThreshold: with the local JFrog's revocable-expiry
// threshold above the mapping's lifetime, JFrog answers a revoke with 204
// and the token keeps working; the rotation must say previous_revoked:
// false with the reason, and health must warn when SECRET_TTL is below
// JFrog's default threshold.
func TestRevokeBelowJFrogThreshold(t *testing.T) {
	s := sharedStack(t)
	kv := s.vault(t)
	s.admin(t, http.MethodPut, "/jfrog/token-thresholds", `{"revocable_expiry_threshold": 43200, "persistent_expiry_threshold": 0}`)
	t.Cleanup(func() {
		s.admin(t, http.MethodPut, "/jfrog/token-thresholds", `{"revocable_expiry_threshold": 0, "persistent_expiry_threshold": 0}`)
	})
	h := startHost(t, s, map[string]string{"ROTATION_REVOKE_PREVIOUS": "true"})
	if status, _, body := rotate(t, h, "?force=true"); status != http.StatusOK {
		t.Fatalf("first rotation = %d %s", status, body)
	}
	_, old, _ := s.storedCredentials(t, kv)
	status, r, body := rotate(t, h, "?force=true")
	if status != http.StatusOK || !r.Rotated {
		t.Fatalf("rotation = %d %s", status, body)
	}
	var reply struct {
		PreviousRevoked *bool  `json:"previous_revoked"`
		Reason          string `json:"previous_revoke_reason"`
	}
	decode(t, body, &reply)
	if reply.PreviousRevoked == nil || *reply.PreviousRevoked || !strings.Contains(reply.Reason, "204") {
		t.Errorf("answer %s: want previous_revoked false with the reason", body)
	}
	if code := s.jfrogMe(t, old); code != http.StatusOK {
		t.Errorf("replaced token: tokens/me = %d, want 200 (JFrog could not revoke it)", code)
	}
	// Leave a revocable token stored for the tests that follow.
	s.admin(t, http.MethodPut, "/jfrog/token-thresholds", `{"revocable_expiry_threshold": 0, "persistent_expiry_threshold": 0}`)
	if status, r, body := rotate(t, h, "?force=true"); status != http.StatusOK || !strings.Contains(body, `"previous_revoked":false`) || r.TokenID == "" {
		t.Errorf("rotation after the thresholds are back = %d %s", status, body)
	}

	h4 := startHost(t, s, map[string]string{"ROTATION_REVOKE_PREVIOUS": "true", "SECRET_TTL": "14400"})
	_, body = h4.call(t, http.MethodGet, "/api/health/details", "", "function")
	var rep struct {
		Warnings []string `json:"warnings"`
	}
	decode(t, body, &rep)
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "revocable-expiry-threshold") {
		t.Errorf("health warnings = %q, want the revocable threshold named", rep.Warnings)
	}
	waitUntil(t, 10*time.Second, "the handler to warn at start", func() bool {
		return strings.Contains(h4.out.String(), "ROTATION_REVOKE_PREVIOUS=true cannot revoke anything")
	})
}
