package localjfrog

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// rawQuery splits a query string on "&" only (Artifactory uses ";" inside
// values) and unescapes keys and values. A key without "=" maps to "".
func rawQuery(q string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		kk, err1 := url.QueryUnescape(k)
		vv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		if _, dup := out[kk]; !dup {
			out[kk] = vv
		}
	}
	return out
}

// parseProperties parses Artifactory's property syntax
// "k1=v1,v2;k2=v3" ("|" also separates pairs). A backslash escapes the next
// character, so values can hold "," ";" "|" "=" and "\".
func parseProperties(s string) (map[string][]string, error) {
	props := map[string][]string{}
	if s == "" {
		return nil, errors.New("no properties given; use properties=key=value;key2=value2")
	}
	var pairs [][]string // each pair: key then values
	var cur []string
	var tok strings.Builder
	inValue := false
	flushTok := func() {
		cur = append(cur, tok.String())
		tok.Reset()
	}
	flushPair := func() {
		flushTok()
		pairs = append(pairs, cur)
		cur = nil
		inValue = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("a property ends with a lone backslash; escape it as \\\\")
			}
			i++
			tok.WriteByte(s[i])
		case c == ';' || c == '|':
			flushPair()
		case c == '=' && !inValue:
			flushTok()
			inValue = true
		case c == ',' && inValue:
			flushTok()
		default:
			tok.WriteByte(c)
		}
	}
	flushPair()
	for _, p := range pairs {
		key := strings.TrimSpace(p[0])
		if len(p) == 1 && key == "" {
			continue // empty segment such as a trailing ";"
		}
		if key == "" {
			return nil, errors.New("a property has an empty key")
		}
		vals := p[1:]
		if len(vals) == 0 {
			vals = []string{""}
		}
		props[key] = appendUnique(props[key], vals...)
	}
	if len(props) == 0 {
		return nil, errors.New("no properties given; use properties=key=value;key2=value2")
	}
	return props, nil
}

// parseMatrix reads deploy-time matrix parameters ("k=v" items already
// split on ";"); keys and values are query-escaped and repeat for
// multiple values.
func parseMatrix(items []string) (map[string][]string, error) {
	props := map[string][]string{}
	for _, it := range items {
		if it == "" {
			continue
		}
		k, v, _ := strings.Cut(it, "=")
		kk, err1 := url.QueryUnescape(k)
		vv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || kk == "" {
			return nil, errors.New("matrix parameters must be ;key=value with query-escaped keys and values")
		}
		props[kk] = appendUnique(props[kk], vv)
	}
	return props, nil
}

func appendUnique(dst []string, vals ...string) []string {
	for _, v := range vals {
		found := false
		for _, d := range dst {
			if d == v {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, v)
		}
	}
	return dst
}

// mergeProps sets every key of add on dst (replacing its values).
func mergeProps(dst map[string][]string, add map[string][]string) map[string][]string {
	if dst == nil {
		dst = map[string][]string{}
	}
	for k, v := range add {
		dst[k] = append([]string(nil), v...)
	}
	return dst
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
