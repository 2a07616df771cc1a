package funcpkg

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWithAuthMode rewrites the repository's function definitions: entra
// and both make every HTTP function anonymous and leave the timer alone;
// keys changes nothing.
func TestWithAuthMode(t *testing.T) {
	for _, mode := range []string{AuthKeys, AuthEntra, AuthBoth} {
		t.Run(mode, func(t *testing.T) {
			for name, trigger := range wantFunctions {
				orig, err := os.ReadFile(filepath.Join("../../functions", name, "function.json"))
				if err != nil {
					t.Fatal(err)
				}
				b, err := withAuthMode(orig, mode)
				if err != nil {
					t.Fatal(err)
				}
				f, err := ParseFunction(name, b)
				if err != nil {
					t.Fatalf("%s rewritten for %s: %v\n%s", name, mode, err, b)
				}
				before, _ := ParseFunction(name, orig)
				switch {
				case trigger == "timerTrigger":
					if string(b) != string(orig) {
						t.Errorf("%s: the timer was rewritten", name)
					}
				case mode == AuthKeys:
					if f.Trigger().AuthLevel != before.Trigger().AuthLevel {
						t.Errorf("%s: authLevel %s in keys mode, want %s", name, f.Trigger().AuthLevel, before.Trigger().AuthLevel)
					}
				default:
					if f.Trigger().AuthLevel != "anonymous" || f.Trigger().Route != before.Trigger().Route ||
						len(f.Trigger().Methods) != len(before.Trigger().Methods) {
						t.Errorf("%s in %s mode: %+v", name, mode, f.Trigger())
					}
				}
			}
		})
	}
	if _, err := Pack(PackOptions{SrcDir: "../..", AuthMode: "open"}); err == nil {
		t.Error("Pack accepted auth mode open")
	}
}
