package config

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

var readmeRow = regexp.MustCompile("^\\| `([A-Za-z0-9_]+)` \\| (?:`([^`]*)`|—) \\|")

// TestREADMEDocumentsEverySetting keeps the README's app-settings table and
// Settings in step: same names, same defaults.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]string{}
	inSection := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inSection = line == "## App settings"
			continue
		}
		if m := readmeRow.FindStringSubmatch(line); inSection && m != nil {
			documented[m[1]] = m[2]
		}
	}
	for _, s := range Settings {
		def, ok := documented[s.Name]
		if !ok {
			t.Errorf("README's App settings table lacks %s", s.Name)
			continue
		}
		if def != s.Default {
			t.Errorf("README gives %s the default %q, the handler uses %q", s.Name, def, s.Default)
		}
		delete(documented, s.Name)
	}
	for name := range documented {
		t.Errorf("README documents %s, which the handler does not read", name)
	}
}
