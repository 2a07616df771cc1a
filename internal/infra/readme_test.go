package infra

import (
	"bufio"
	"regexp"
	"strings"
	"testing"
)

// settingsSection is the README heading whose table documents the settings.
const settingsSection = "## App settings"

// settingRow matches a table row whose first cell is a backticked name.
var settingRow = regexp.MustCompile("^\\|\\s*`([A-Za-z_][A-Za-z0-9_]*)`\\s*\\|")

// parseSettingsTable returns the names in the first cells of the table rows
// of the "## App settings" section (up to the next heading of level 1 or 2),
// in order, and whether the section exists.
func parseSettingsTable(readme string) (names []string, found bool) {
	in := false
	sc := bufio.NewScanner(strings.NewReader(readme))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	fence := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## ") {
			in = strings.EqualFold(strings.TrimSpace(line), settingsSection)
			found = found || in
			continue
		}
		if !in {
			continue
		}
		if m := settingRow.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			names = append(names, m[1])
		}
	}
	return names, found
}

func TestParseSettingsTable(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []string
		found bool
	}{
		{
			name: "table",
			in: "# x\n## App settings\n\n| Setting | Default |\n|---|---|\n| `LOG_LEVEL` | `info` |\n" +
				"| `KEY_VAULT_NAME` | |\n\n## Next\n| `OTHER` | |\n",
			want: []string{"LOG_LEVEL", "KEY_VAULT_NAME"}, found: true,
		},
		{
			name: "subsections stay inside",
			in:   "## App settings\n### Rotation\n| `A` | |\n### Jobs\n|`B`|x|\n",
			want: []string{"A", "B"}, found: true,
		},
		{
			name: "fenced example ignored",
			in:   "## App settings\n```\n| `FAKE` | |\n```\n| `REAL` | |\n",
			want: []string{"REAL"}, found: true,
		},
		{name: "missing section", in: "## Other\n| `A` | |\n", found: false},
		{name: "plain cells ignored", in: "## App settings\n| A | b |\n| `ok name` | |\n", found: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := parseSettingsTable(tt.in)
			if found != tt.found {
				t.Errorf("found = %v, want %v", found, tt.found)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("names = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseSettingsTable(f *testing.F) {
	f.Add("## App settings\n| `LOG_LEVEL` | `info` | x |\n")
	f.Add("## App settings\n```\n| `X` |\n")
	f.Add("# T\n## App settings\n|`A`|\n## B\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		names, found := parseSettingsTable(in)
		if !found && len(names) > 0 {
			t.Fatalf("names %q without a section", names)
		}
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " `|\n") {
				t.Fatalf("bad name %q", n)
			}
			if !strings.Contains(in, "`"+n+"`") {
				t.Fatalf("name %q not in input", n)
			}
		}
	})
}
