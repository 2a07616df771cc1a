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
	checkREADMETable(t, "## App settings", Settings)
}

// TestREADMEDocumentsTrainerSettings keeps the README's trainer settings
// table and TrainerSettings in step.
func TestREADMEDocumentsTrainerSettings(t *testing.T) {
	checkREADMETable(t, "### Trainer settings", TrainerSettings)
}

// checkREADMETable compares the settings table under heading with list:
// same names, same defaults.
func checkREADMETable(t *testing.T, heading string, list []Setting) {
	t.Helper()
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
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			inSection = line == heading
			continue
		}
		if m := readmeRow.FindStringSubmatch(line); inSection && m != nil {
			documented[m[1]] = m[2]
		}
	}
	if len(documented) == 0 {
		t.Fatalf("README has no settings table under %q", heading)
	}
	for _, s := range list {
		def, ok := documented[s.Name]
		if !ok {
			t.Errorf("README's %q table lacks %s", heading, s.Name)
			continue
		}
		if def != s.Default {
			t.Errorf("README gives %s the default %q, the code uses %q", s.Name, def, s.Default)
		}
		delete(documented, s.Name)
	}
	for name := range documented {
		t.Errorf("README's %q table documents %s, which is not read", heading, name)
	}
}
