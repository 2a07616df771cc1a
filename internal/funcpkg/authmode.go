package funcpkg

import (
	"encoding/json"
	"fmt"
)

// Auth modes of a package (the handler's AUTH_MODE setting): in AuthKeys
// the HTTP functions keep their authLevel and the host checks function
// keys; in AuthEntra and AuthBoth every HTTP function is written
// anonymous, since the host forwards a request to the handler only when
// its authLevel allows it, and the handler checks the caller itself.
const (
	AuthKeys  = "keys"
	AuthEntra = "entra"
	AuthBoth  = "both"
)

// ValidAuthMode reports whether mode is AuthKeys, AuthEntra or AuthBoth.
func ValidAuthMode(mode string) bool {
	return mode == AuthKeys || mode == AuthEntra || mode == AuthBoth
}

// withAuthMode returns the function.json b rewritten for mode: the
// httpTrigger's authLevel becomes anonymous in AuthEntra and AuthBoth.
// Other bindings, timers included, are left as they are.
func withAuthMode(b []byte, mode string) ([]byte, error) {
	if mode == "" || mode == AuthKeys {
		return b, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	bindings, _ := doc["bindings"].([]any)
	changed := false
	for _, raw := range bindings {
		bd, ok := raw.(map[string]any)
		if !ok || bd["type"] != "httpTrigger" {
			continue
		}
		if bd["authLevel"] != "anonymous" {
			bd["authLevel"] = "anonymous"
			changed = true
		}
	}
	if !changed {
		return b, nil
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// AnonymousHTTP returns the names of the app's HTTP functions whose
// authLevel is anonymous.
func (a *App) AnonymousHTTP() []string {
	var out []string
	for _, f := range a.Functions {
		if f.IsHTTP() && f.Trigger().AuthLevel == "anonymous" {
			out = append(out, f.Name)
		}
	}
	return out
}
