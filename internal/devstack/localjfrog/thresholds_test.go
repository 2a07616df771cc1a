package localjfrog

import (
	"strings"
	"testing"
	"time"
)

// TestTokenThresholds holds the local JFrog to Access's documented
// revocable-expiry (6 h) and persistency (3 h) thresholds: a 1 h token is
// not stored (tokens/me 404, not listed, revoke 204) yet authenticates; a
// 4 h token is stored but a revoke answers 204 and it keeps working; a 6 h
// token is revoked (200, then 401).
func TestTokenThresholds(t *testing.T) {
	st := newStack(t, t.TempDir())
	st.s.SetThresholds(0, 0) // JFrog's defaults
	admin := st.s.AdminToken()
	issue := func(lifetime time.Duration) (string, string) {
		tok, jti, err := st.s.issueToken("rotator", scopeUser, "*@*", int64(lifetime/time.Second), "")
		if err != nil {
			t.Fatal(err)
		}
		return tok, jti
	}

	oneHour, oneHourID := issue(time.Hour)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", oneHour, nil, nil), 404)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/"+oneHourID, admin, nil, nil), 404)
	if list := st.do(t, "GET", "/access/api/v1/tokens", admin, nil, nil); strings.Contains(string(list.Body), oneHourID) {
		t.Errorf("a token below the persistency threshold is listed: %s", list.Body)
	}
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+oneHourID, admin, nil, nil), 204)
	// Still authenticates: 404 (no record), not 401.
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", oneHour, nil, nil), 404)

	fourHours, fourHoursID := issue(4 * time.Hour)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", fourHours, nil, nil), 200)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+fourHoursID, admin, nil, nil), 204)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/me", fourHours, nil, nil), 204)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", fourHours, nil, nil), 200)

	sixHours, sixHoursID := issue(6 * time.Hour)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+sixHoursID, admin, nil, nil), 200)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", sixHours, nil, nil), 401)

	// Lower thresholds: the same lifetimes are stored and revocable.
	st.s.SetThresholds(time.Hour, 30*time.Minute)
	oneHour, oneHourID = issue(time.Hour)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", oneHour, nil, nil), 200)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+oneHourID, admin, nil, nil), 200)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", oneHour, nil, nil), 401)
}

// TestThresholdAlignment: a persistency threshold above the revocable one
// is lowered to it, as Access does at start.
func TestThresholdAlignment(t *testing.T) {
	st := newStack(t, t.TempDir())
	st.s.SetThresholds(time.Hour, 2*time.Hour)
	if r, p := st.s.Thresholds(); r != time.Hour || p != time.Hour {
		t.Errorf("thresholds = %v, %v; want 1h, 1h", r, p)
	}
	st.s.SetThresholds(0, 0)
	if r, p := st.s.Thresholds(); r != 6*time.Hour || p != 3*time.Hour {
		t.Errorf("defaults = %v, %v; want 6h, 3h", r, p)
	}
}
