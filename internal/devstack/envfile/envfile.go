// Package envfile reads and writes the KEY=VALUE files the local stack uses
// to hand settings to the suite: one setting per line, '#' comments and
// blank lines ignored, no quoting or expansion, values kept verbatim (they
// may contain '=' and ';', as connection strings do).
package envfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

var keyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse reads settings from r. A malformed line is an error naming its line
// number.
func Parse(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !keyPattern.MatchString(k) {
			return nil, fmt.Errorf("line %d: want KEY=VALUE with KEY made of letters, digits and _", n)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadFile parses the file at path.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Encode writes settings sorted by key. A key or value that cannot be
// written unambiguously is an error.
func Encode(m map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		v := m[k]
		if !keyPattern.MatchString(k) {
			return nil, fmt.Errorf("setting name %q is not valid", k)
		}
		if strings.ContainsAny(v, "\r\n") || strings.TrimSpace(v) != v && v != "" {
			return nil, fmt.Errorf("setting %s: value must be one line without surrounding spaces", k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return b.Bytes(), nil
}

// Environ returns m as "KEY=VALUE" strings for exec.Cmd.Env, sorted.
func Environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
