package infra

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Paths of the checked trees, relative to this package.
const (
	terraformDir = "../../terraform"
	dockerDir    = "../../docker"
	deployDir    = "../../deploy"
	readmePath   = "../../README.md"
)

// tfFile is one parsed HCL file of the terraform tree.
type tfFile struct {
	path   string // slash path relative to terraformDir
	module string // "root", a module directory name, or an optional root's directory
	src    []byte
	body   *hclsyntax.Body
}

// hclFiles lists the HCL files of the terraform tree: *.tf, *.tfvars*, and
// .tflint.hcl, skipping .terraform directories.
func hclFiles(t testing.TB) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(terraformDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if strings.HasSuffix(name, ".tf") || strings.Contains(name, ".tfvars") || name == ".tflint.hcl" {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", terraformDir, err)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatalf("no HCL files under %s", terraformDir)
	}
	return paths
}

// loadTerraform parses every .tf file of the terraform tree.
func loadTerraform(t testing.TB) []tfFile {
	t.Helper()
	var files []tfFile
	for _, path := range hclFiles(t) {
		if !strings.HasSuffix(path, ".tf") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %s", path, diags.Error())
		}
		rel, _ := filepath.Rel(terraformDir, path)
		rel = filepath.ToSlash(rel)
		module := "root"
		switch parts := strings.Split(rel, "/"); {
		case len(parts) == 3 && parts[0] == "modules":
			module = parts[1]
		case len(parts) == 2:
			module = parts[0] // a separate, optional root such as jfrog-oidc
		}
		files = append(files, tfFile{path: rel, module: module, src: src, body: f.Body.(*hclsyntax.Body)})
	}
	return files
}

// tfBlock is one top-level block with the file it came from.
type tfBlock struct {
	file  tfFile
	block *hclsyntax.Block
}

// blocks returns the top-level blocks of type typ (and, when labels are
// given, with those leading labels) in module ("" for every module).
func blocks(files []tfFile, module, typ string, labels ...string) []tfBlock {
	var out []tfBlock
	for _, f := range files {
		if module != "" && f.module != module {
			continue
		}
	next:
		for _, b := range f.body.Blocks {
			if b.Type != typ || len(b.Labels) < len(labels) {
				continue
			}
			for i, l := range labels {
				if b.Labels[i] != l {
					continue next
				}
			}
			out = append(out, tfBlock{file: f, block: b})
		}
	}
	return out
}

// oneBlock returns the single block that blocks finds, failing otherwise.
func oneBlock(t *testing.T, files []tfFile, module, typ string, labels ...string) tfBlock {
	t.Helper()
	found := blocks(files, module, typ, labels...)
	if len(found) != 1 {
		t.Fatalf("module %s: want one %s %q block, found %d", module, typ, labels, len(found))
	}
	return found[0]
}

// exprText returns the source text of an expression.
func exprText(f tfFile, e hclsyntax.Expression) string {
	r := e.Range()
	return strings.TrimSpace(string(r.SliceBytes(f.src)))
}

// nestedBlock returns the first nested block of type typ, or nil.
func nestedBlock(b *hclsyntax.Block, typ string) *hclsyntax.Block {
	for _, nb := range b.Body.Blocks {
		if nb.Type == typ {
			return nb
		}
	}
	return nil
}

// literal evaluates an expression without variables and converts it to a
// string; ok is false when it needs variables or is not a known primitive.
func literal(e hclsyntax.Expression) (string, bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	if !v.Type().IsPrimitiveType() {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", false
	}
	return s.AsString(), true
}

// objectItems returns the keys and values of an object constructor.
func objectItems(t *testing.T, e hclsyntax.Expression) map[string]hclsyntax.Expression {
	t.Helper()
	obj, ok := e.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatalf("want an object constructor at %s, got %T", e.Range(), e)
	}
	items := make(map[string]hclsyntax.Expression, len(obj.Items))
	for _, item := range obj.Items {
		key := item.KeyExpr
		if k, ok := key.(*hclsyntax.ObjectConsKeyExpr); ok {
			if name := hcl.ExprAsKeyword(k.Wrapped); name != "" {
				items[name] = item.ValueExpr
				continue
			}
			key = k.Wrapped
		}
		name, ok := literal(key)
		if !ok {
			t.Fatalf("object key at %s is not a literal", key.Range())
		}
		items[name] = item.ValueExpr
	}
	return items
}

func TestTerraformParses(t *testing.T) {
	for _, path := range hclFiles(t) {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
				t.Fatalf("parse: %s", diags.Error())
			}
		})
	}
	files := loadTerraform(t)
	modules := map[string]bool{}
	for _, f := range files {
		modules[f.module] = true
	}
	for _, m := range []string{"root", "workspace", "functions", "identity", "jfrog", "jfrog-oidc"} {
		if !modules[m] {
			t.Errorf("module %s has no .tf files", m)
		}
	}
}
