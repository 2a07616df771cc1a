package config

import (
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	const def = "artifactory-access-token-secret"
	tests := []struct {
		name    string
		raw     string
		want    []Target
		problem []string // substrings, one per expected problem
	}{
		{name: "absent", raw: "  "},
		{name: "two targets", raw: `[{"secret":"docker-pull","shape":"dockerconfigjson","identity_mapping_name":"docker","scope":"applied-permissions/user"},{"secret":"pip","shape":"netrc","project_key":"ml","audience":"jfrt@*","include_reference_token":true}]`,
			want: []Target{
				{Secret: "docker-pull", Shape: "dockerconfigjson", IdentityMappingName: "docker", Scope: "applied-permissions/user"},
				{Secret: "pip", Shape: "netrc", ProjectKey: "ml", Audience: "jfrt@*", IncludeReferenceToken: true},
			}},
		{name: "shape defaults to json", raw: `[{"secret":"x"}]`, want: []Target{{Secret: "x", Shape: "json"}}},
		{name: "default secret with options", raw: `[{"secret":"artifactory-access-token-secret","identity_mapping_name":"main"}]`,
			want: []Target{{Secret: def, Shape: "json", IdentityMappingName: "main"}}},
		{name: "syntax", raw: `[{"secret":}]`, problem: []string{"syntax error at byte"}},
		{name: "not an array", raw: `{"secret":"x"}`, problem: []string{"wrong type"}},
		{name: "unknown field", raw: `[{"secret":"x","shap":"json"}]`, problem: []string{`unknown field "shap"`}},
		{name: "empty", raw: `[]`, problem: []string{"empty array"}},
		{name: "trailing", raw: `[] []`, problem: []string{"trailing data"}},
		{name: "every problem named", raw: `[{"shape":"yaml","project_key":"ML!","scope":"everything","identity_mapping_name":"a b","audience":"a b"},{"secret":"bad_name"}]`,
			problem: []string{"target 0: secret is missing", "target 0: shape must be", "target 0: identity_mapping_name", "target 0: project_key", "target 0: scope must be", "target 0: audience", "target 1: secret is not"}},
		{name: "duplicate", raw: `[{"secret":"a"},{"secret":"A"}]`, problem: []string{"target 1 (A): secret is also target 0's"}},
		{name: "default secret must stay json", raw: `[{"secret":"artifactory-access-token-secret","shape":"netrc"}]`, problem: []string{"ARTIFACTORY_TOKEN_SECRET_NAME"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ps := ParseTargets(tc.raw, def)
			if len(ps) != len(tc.problem) {
				t.Fatalf("problems = %q, want %d", ps, len(tc.problem))
			}
			for i, want := range tc.problem {
				if !strings.Contains(ps[i], want) {
					t.Errorf("problem %d = %q, want it to name %q", i, ps[i], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("targets = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("target %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// Rejected values are never echoed (an operator may paste a token into
// the wrong field).
func TestParseTargetsDoesNotEchoValues(t *testing.T) {
	_, ps := ParseTargets(`[{"secret":"ok","scope":"SECRETVALUE1","project_key":"SECRETVALUE2","identity_mapping_name":"SECRET VALUE3","audience":"SECRET VALUE4"}]`, "d")
	if len(ps) != 4 {
		t.Fatalf("problems = %q", ps)
	}
	for _, p := range ps {
		if strings.Contains(p, "SECRET") {
			t.Errorf("problem echoes a value: %q", p)
		}
	}
}

func TestLoadNamesTargetProblems(t *testing.T) {
	env := map[string]string{EnvRotationTargets: `[{"secret":"x","shape":"pem"}]`}
	c := Load(func(k string) string { return env[k] })
	found := false
	for _, p := range c.Problems(GroupRotation) {
		if p.Setting == EnvRotationTargets && strings.Contains(p.Message, "shape must be") {
			found = true
		}
	}
	if !found {
		t.Errorf("problems = %+v", c.Problems(GroupRotation))
	}
}

func FuzzParseTargets(f *testing.F) {
	f.Add(`[{"secret":"docker-pull","shape":"dockerconfigjson","identity_mapping_name":"docker"}]`)
	f.Add(`[{"secret":"a"},{"secret":"A"}]`)
	f.Add(`[{"secret":"x","scope":"applied-permissions/groups:a applied-permissions/user"}]`)
	f.Fuzz(func(t *testing.T, raw string) {
		ts, ps := ParseTargets(raw, "default")
		if len(ps) > 0 && ts != nil {
			t.Fatal("targets returned with problems")
		}
		seen := map[string]bool{}
		for _, tg := range ts {
			if tg.Secret == "" || (tg.Shape != "json" && tg.Shape != "dockerconfigjson" && tg.Shape != "netrc") {
				t.Fatalf("accepted %+v", tg)
			}
			k := strings.ToLower(tg.Secret)
			if seen[k] {
				t.Fatalf("accepted duplicate %q", tg.Secret)
			}
			seen[k] = true
		}
	})
}
