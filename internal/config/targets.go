package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Target is one secret the rotation keeps (an element of ROTATION_TARGETS).
type Target struct {
	// Secret is the Key Vault secret name.
	Secret string `json:"secret"`
	// Shape is "json" (default), "dockerconfigjson" or "netrc".
	Shape string `json:"shape,omitempty"`
	// IdentityMappingName forces one identity mapping of the OIDC
	// integration (JFrog's exchange field identity_mapping_name).
	IdentityMappingName string `json:"identity_mapping_name,omitempty"`
	// ProjectKey scopes the token to a JFrog project (project_key).
	ProjectKey string `json:"project_key,omitempty"`
	// Scope asks for a scope within the mapping's (scope).
	Scope string `json:"scope,omitempty"`
	// Audience is the exchange's audience field.
	Audience string `json:"audience,omitempty"`
	// IncludeReferenceToken asks for a reference token as well.
	IncludeReferenceToken bool `json:"include_reference_token,omitempty"`
}

var (
	// projectKeyPattern: JFrog project keys are 2–32 lowercase letters and
	// digits starting with a letter (JFrog project docs; not checked
	// against a live JFrog).
	projectKeyPattern = lazyregexp.New(`^[a-z][a-z0-9]{1,31}$`)
	// scopePattern is a token_spec scope as JFrog's identity mappings
	// accept it (../shared/reference/jfrog.md §OIDC mappings), several
	// separated by spaces.
	scopePattern   = lazyregexp.New(`^applied-permissions/(admin|user|groups:[^ ]+|roles:[^ ]+)( applied-permissions/(admin|user|groups:[^ ]+|roles:[^ ]+))*$`)
	mappingPattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// maxTargets bounds ROTATION_TARGETS: each target is one exchange per run.
const maxTargets = 16

// ParseTargets parses ROTATION_TARGETS: a JSON array of targets. The
// default secret (ARTIFACTORY_TOKEN_SECRET_NAME, defaultSecret) is always
// rotated in shape json; a target may name it to set its exchange options.
// It returns every problem found, each naming the target by its index and
// secret, and never quotes a value it rejects except secret names.
func ParseTargets(raw, defaultSecret string) ([]Target, []string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var ts []Target
	if err := dec.Decode(&ts); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, []string{fmt.Sprintf("is not valid JSON (syntax error at byte %d): set a JSON array such as [{\"secret\":\"docker-pull\",\"shape\":\"dockerconfigjson\"}]", se.Offset)}
		case errors.As(err, &te):
			return nil, []string{fmt.Sprintf("field %q has the wrong type: want a JSON array of objects with string fields (include_reference_token is a boolean)", te.Field)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return nil, []string{fmt.Sprintf("has an unknown field %s: the fields are secret, shape, identity_mapping_name, project_key, scope, audience, include_reference_token", strings.TrimPrefix(err.Error(), "json: unknown field "))}
		}
		return nil, []string{"is not a JSON array of target objects"}
	}
	if dec.More() {
		return nil, []string{"has trailing data after the JSON array"}
	}
	var ps []string
	if len(ts) == 0 {
		ps = append(ps, "is an empty array: remove the setting or list at least one target")
	}
	if len(ts) > maxTargets {
		ps = append(ps, fmt.Sprintf("lists %d targets, more than %d", len(ts), maxTargets))
	}
	seen := map[string]int{}
	for i := range ts {
		t := &ts[i]
		t.Shape = strings.TrimSpace(t.Shape)
		if t.Shape == "" {
			t.Shape = "json"
		}
		at := fmt.Sprintf("target %d", i)
		if secretNamePattern.MatchString(t.Secret) && len(t.Secret) <= 127 {
			at = fmt.Sprintf("target %d (%s)", i, t.Secret)
		}
		switch {
		case t.Secret == "":
			ps = append(ps, at+": secret is missing: set the Key Vault secret name")
		case !secretNamePattern.MatchString(t.Secret) || len(t.Secret) > 127:
			ps = append(ps, at+": secret is not a Key Vault secret name (1-127 letters, digits and hyphens)")
		default:
			key := strings.ToLower(t.Secret) // Key Vault names are case-insensitive
			if j, dup := seen[key]; dup {
				ps = append(ps, fmt.Sprintf("%s: secret is also target %d's: each target needs its own secret", at, j))
			}
			seen[key] = i
		}
		switch t.Shape {
		case "json", "dockerconfigjson", "netrc":
		default:
			ps = append(ps, at+": shape must be json, dockerconfigjson or netrc")
		}
		if strings.EqualFold(t.Secret, defaultSecret) && t.Shape != "json" {
			ps = append(ps, at+": the default secret ("+EnvSecretName+") is read by the trainer and the job service as json: use shape json or another secret")
		}
		if t.IdentityMappingName != "" && !mappingPattern.MatchString(t.IdentityMappingName) {
			ps = append(ps, at+": identity_mapping_name is not a JFrog identity mapping name (letters, digits, '_', '.', '-')")
		}
		if t.ProjectKey != "" && !projectKeyPattern.MatchString(t.ProjectKey) {
			ps = append(ps, at+": project_key is not a JFrog project key (2-32 lowercase letters and digits, starting with a letter)")
		}
		if t.Scope != "" && !scopePattern.MatchString(t.Scope) {
			ps = append(ps, at+": scope must be applied-permissions/user, /admin, /groups:<names> or /roles:<project>:<roles>, within the identity mapping's token_spec.scope")
		}
		if strings.ContainsAny(t.Audience, " \t\r\n") {
			ps = append(ps, at+": audience must not contain white space")
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return ts, nil
}

// targets reads ROTATION_TARGETS into r.Targets.
func (l *loader) targets(r *Rotation) {
	ts, ps := ParseTargets(l.get(EnvRotationTargets), r.SecretName)
	for _, p := range ps {
		l.add(EnvRotationTargets, GroupRotation, p)
	}
	r.Targets = ts
}
