package infra

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// TestTerraformFormat checks that every HCL file is formatted the way
// terraform fmt formats it (hclwrite.Format is its formatter), so
// `terraform fmt -check -recursive` has nothing to change.
func TestTerraformFormat(t *testing.T) {
	for _, path := range hclFiles(t) {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := hclwrite.Format(src); !bytes.Equal(got, src) {
				t.Errorf("%s is not formatted; run terraform fmt -recursive terraform:\n%s", path, firstDiff(src, got))
			}
		})
	}
}

// TestFormatCheckDetects makes sure the format check can fail.
func TestFormatCheckDetects(t *testing.T) {
	tests := []struct {
		name string
		src  string
		ok   bool
	}{
		{"aligned", "a   = 1\nbcd = 2\n", true},
		{"unaligned", "a = 1\nbcd = 2\n", false},
		{"indent", "x {\n    y = 1\n}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := bytes.Equal(hclwrite.Format([]byte(tt.src)), []byte(tt.src))
			if ok != tt.ok {
				t.Errorf("formatted = %v, want %v", ok, tt.ok)
			}
		})
	}
}

// firstDiff shows the first line that differs between want and got.
func firstDiff(src, formatted []byte) string {
	a := bytes.Split(src, []byte("\n"))
	b := bytes.Split(formatted, []byte("\n"))
	for i := 0; i < len(a) && i < len(b); i++ {
		if !bytes.Equal(a[i], b[i]) {
			return fmt.Sprintf("line %d:\n  have: %s\n  want: %s", i+1, a[i], b[i])
		}
	}
	return "line count differs"
}
