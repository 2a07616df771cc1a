package funcpkg

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Route is a parsed HTTP route template such as "jobs/{name}" or
// "items/{id:int?}", matched the way ASP.NET routing matches it: literal
// segments case-insensitively, one path segment per parameter, optional
// parameters only at the end, and a "{*rest}" catch-all.
type Route struct {
	Template string
	segments []segment
}

type segment struct {
	literal    string
	param      string
	constraint string
	optional   bool
	catchAll   bool
}

var paramPattern = regexp.MustCompile(`^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$`)

var constraints = map[string]func(string) bool{
	"":      func(string) bool { return true },
	"alpha": regexp.MustCompile(`^[A-Za-z]+$`).MatchString,
	"int":   func(s string) bool { _, err := strconv.ParseInt(s, 10, 64); return err == nil },
	"guid":  regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`).MatchString,
	"bool":  func(s string) bool { _, err := strconv.ParseBool(s); return err == nil },
}

// ParseRoute parses a route template.
func ParseRoute(tmpl string) (Route, error) {
	r := Route{Template: tmpl}
	t := strings.Trim(tmpl, "/")
	if t == "" {
		return r, fmt.Errorf("route %q is empty", tmpl)
	}
	parts := strings.Split(t, "/")
	for i, p := range parts {
		if p == "" {
			return r, fmt.Errorf("route %q has an empty segment", tmpl)
		}
		if !strings.ContainsAny(p, "{}") {
			r.segments = append(r.segments, segment{literal: p})
			continue
		}
		m := paramPattern.FindStringSubmatch(p)
		if m == nil {
			return r, fmt.Errorf("route %q: segment %q is not a parameter like {name}, {name?} or {name:int}", tmpl, p)
		}
		if _, ok := constraints[m[3]]; !ok {
			return r, fmt.Errorf("route %q: constraint %q is not supported", tmpl, m[3])
		}
		s := segment{param: m[2], constraint: m[3], optional: m[4] == "?", catchAll: m[1] == "*"}
		if (s.optional || s.catchAll) && i != len(parts)-1 {
			return r, fmt.Errorf("route %q: only the last segment may be optional or catch-all", tmpl)
		}
		r.segments = append(r.segments, s)
	}
	return r, nil
}

// Match matches an unescaped path (without the route prefix) and returns
// the route parameters.
func (r Route) Match(path string) (map[string]string, bool) {
	p := strings.Trim(path, "/")
	var parts []string
	if p != "" {
		parts = strings.Split(p, "/")
	}
	params := map[string]string{}
	for i, s := range r.segments {
		if i >= len(parts) {
			if s.optional || s.catchAll {
				return params, true
			}
			return nil, false
		}
		if s.catchAll {
			params[s.param] = strings.Join(parts[i:], "/")
			return params, true
		}
		v, err := url.PathUnescape(parts[i])
		if err != nil {
			return nil, false
		}
		if s.param == "" {
			if !strings.EqualFold(v, s.literal) {
				return nil, false
			}
			continue
		}
		if v == "" || !constraints[s.constraint](v) {
			return nil, false
		}
		params[s.param] = v
	}
	if len(parts) != len(r.segments) {
		return nil, false
	}
	return params, true
}
