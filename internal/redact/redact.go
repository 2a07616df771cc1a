// Package redact owns every shape of secret the suite knows and removes
// them from text: log lines, error details in HTTP answers, health reasons
// and messages read from upstream error replies all go through it.
//
// [String] removes values by their shape or by the key that names them:
// JWTs, JFrog reference tokens and API keys, bearer and basic credentials,
// function keys and SAS signatures in query strings (plain or URL-encoded),
// URL userinfo, connection-string keys, and the values of keys such as
// password, client_secret, client_assertion or a JSON "token". [Upstream]
// also removes any long opaque run that may be a credential (mixed-case
// base64, all-hex or all-lowercase), which is right for the short messages
// an outside service returns but too eager for our own log lines.
//
// Every removed value becomes [Marker]; the key or scheme before it stays so
// the text keeps its meaning. Both functions are idempotent.
package redact

import (
	"strings"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Marker replaces every removed value.
const Marker = "[REDACTED]"

// Key lists. Every key matches case-insensitively, as a header name, a
// key=value pair, a query parameter or a JSON member.
const (
	// spacedKeys name values that may contain spaces (passwords): an
	// unquoted value runs to the next ; & , quote or line end.
	spacedKeys = `password|passwd|pwd`
	// connKeys are connection-string parts: base64 values that run to the
	// next ; or white space.
	connKeys = `accountkey|sharedaccesskey|sharedaccesssignature`
	// plainKeys are the other keys whose value is a credential.
	plainKeys = `x-functions-key|x-jfrog-art-api|authorization|access_token|accesstoken|refresh_token|refreshtoken|id_token|subject_token|client_secret|clientsecret|client_assertion|secret_value|identity_header|msi_secret|x-identity-header|apikey|api_key`
	// jsonKeys are words too common in prose to redact as key=value
	// ("stored token: expired"); only a quoted JSON member is redacted.
	jsonKeys = `token|secret|password|accesstoken|access_token`
	// sep is the separator between a key and its value: an optional
	// closing quote of the key (escaped in a JSON string) and ":" or "=".
	sep = `\\?"?\s*[:=]\s*`
	// open opens a quoted value, also as the first item of a header-map
	// array (["…"]).
	open = `(?:\[\s*)?\\?"`
	// scheme is an optional authorization scheme kept before the value.
	scheme = `(?:(?:basic|bearer|digest|negotiate|token|sharedaccesssignature)\s+)?`
	// quotedValue is a JSON string's content up to its closing quote.
	quotedValue = `(?:[^"\\]|\\[^"])+`
	// encodedValue is a URL-encoded value inside another URL-encoded
	// value: it ends at the next encoded delimiter; its own percent signs
	// are encoded as %25.
	// marker matches Marker.
	marker       = `\[REDACTED\]`
	encodedValue = `(?:[^&"'\\\s#%]|%25)+`
)

// rule is one shape. The regular expression runs only when the text, in
// lower case, contains one of triggers: most lines hold no secret, and a
// substring search is far cheaper than a case-insensitive alternation.
type rule struct {
	triggers []string
	re       *lazyregexp.Regexp
	repl     string
}

// keys returns the alternatives of a key list, as triggers.
func keys(lists ...string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, strings.Split(l, "|")...)
	}
	return out
}

// keep keeps the first group (the key, separator and scheme).
const keep = "${1}" + Marker

// rules are applied in order by String. Each is one shape of secret; the
// table test in redact_test.go has a sample of every one.
var rules = []rule{
	// URL userinfo: scheme://user:password@host or scheme://token@host.
	{[]string{"://"}, lazyregexp.New(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@"'\\<>\[\]]+@`), "${1}" + Marker + "@"},
	// JWTs (Entra ID and JFrog access tokens): header.payload.signature,
	// the header being base64 of `{"`.
	{[]string{"eyj"}, lazyregexp.New(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`), Marker},
	// JFrog reference tokens start with base64("reftkn:").
	{[]string{"cmvmdgtuoj"}, lazyregexp.New(`cmVmdGtuOj[A-Za-z0-9+/=_-]{8,}`), Marker},
	// JFrog API keys start with AKCp.
	{[]string{"akcp"}, lazyregexp.New(`AKCp[A-Za-z0-9]{10,}`), Marker},
	// Bearer credentials anywhere.
	{[]string{"bearer"}, lazyregexp.New(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`), keep},
	// JSON members, quoted values: spaces and all, up to the closing quote.
	{keys(spacedKeys, connKeys, plainKeys), lazyregexp.New(`(?i)((?:` + spacedKeys + `|` + connKeys + `|` + plainKeys + `)` + sep + open + `)` + quotedValue), keep},
	{keys(jsonKeys), lazyregexp.New(`(?i)("(?:` + jsonKeys + `)\\?"\s*:\s*\\?")` + quotedValue), keep},
	// Unquoted values.
	// A value that already is the marker matches as a whole, so that a
	// second pass leaves it as it is.
	{keys(spacedKeys), lazyregexp.New(`(?i)((?:` + spacedKeys + `)` + sep + `)(?:` + marker + `|[^"'\\,;&\[\]{}<>\r\n]+)`), keep},
	{keys(connKeys), lazyregexp.New(`(?i)((?:` + connKeys + `)` + sep + `)(?:` + marker + `|[^"'\\\s;\[\]]+)`), keep},
	{keys(plainKeys), lazyregexp.New(`(?i)((?:` + plainKeys + `)` + sep + scheme + `)(?:` + marker + `|[^"'\\\s,;&\[\]{}<>]+)`), keep},
	// Function keys and SAS signatures in a query string.
	{[]string{"code=", "sig="}, lazyregexp.New(`(?i)((?:^|[?&;])(?:code|sig)=)[^&"'\\\s\[\]#;]+`), keep},
	// The same parameters URL-encoded inside another parameter
	// (redirect=https%3A%2F%2Fapp%2Fapi%3Fcode%3D…).
	{[]string{"%3d"}, lazyregexp.New(`(?i)((?:^|%3F|%26|%3B|[?&;\s"'=])(?:code|sig|access_token|refresh_token|id_token|client_secret|client_assertion|password)%3D)` + encodedValue), keep},
}

// String returns s with every secret-shaped value replaced by Marker.
func String(s string) string {
	lower := strings.ToLower(s)
	for _, r := range rules {
		for _, t := range r.triggers {
			if strings.Contains(lower, t) {
				s = r.re.ReplaceAllString(s, r.repl)
				break
			}
		}
	}
	return s
}

// Error returns err's text through String; "" for nil.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return String(err.Error())
}

// opaqueRun is a run that may be an opaque credential; looksOpaque decides.
var opaqueRun = lazyregexp.New(`[A-Za-z0-9+/_=-]{32,}`)

// Upstream returns s through String and with every opaque run removed: a
// run of 32 or more base64 characters that mixes upper case, lower case and
// digits, or that holds 24 or more letters and digits in a row (all-hex and
// all-lowercase credentials). Paths, GUIDs and dashed names are kept.
func Upstream(s string) string {
	s = String(s)
	return opaqueRun.ReplaceAllStringFunc(s, func(m string) string {
		if looksOpaque(m) {
			return Marker
		}
		return m
	})
}

// looksOpaque reports whether run m looks like a credential rather than a
// path or a name.
func looksOpaque(m string) bool {
	var up, low, digit bool
	longest, cur := 0, 0
	for _, r := range m {
		switch {
		case r >= 'A' && r <= 'Z':
			up = true
		case r >= 'a' && r <= 'z':
			low = true
		case r >= '0' && r <= '9':
			digit = true
		}
		if strings.ContainsRune("+/_=-", r) {
			cur = 0
			continue
		}
		cur++
		longest = max(longest, cur)
	}
	return up && low && digit || longest >= 24
}
