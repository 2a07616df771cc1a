package infra

import (
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// moduleMeta is what one module declares.
type moduleMeta struct {
	variables map[string]*hclsyntax.Block
	outputs   map[string]bool
	locals    map[string]bool
	resources map[string]bool // "type.name" and "data.type.name"
	modules   map[string]*hclsyntax.Block
}

func collectModules(files []tfFile) map[string]*moduleMeta {
	mods := map[string]*moduleMeta{}
	for _, f := range files {
		m := mods[f.module]
		if m == nil {
			m = &moduleMeta{variables: map[string]*hclsyntax.Block{}, outputs: map[string]bool{}, locals: map[string]bool{}, resources: map[string]bool{}, modules: map[string]*hclsyntax.Block{}}
			mods[f.module] = m
		}
		for _, b := range f.body.Blocks {
			switch b.Type {
			case "variable":
				m.variables[b.Labels[0]] = b
			case "output":
				m.outputs[b.Labels[0]] = true
			case "locals":
				for name := range b.Body.Attributes {
					m.locals[name] = true
				}
			case "resource":
				m.resources[b.Labels[0]+"."+b.Labels[1]] = true
			case "data":
				m.resources["data."+b.Labels[0]+"."+b.Labels[1]] = true
			case "module":
				m.modules[b.Labels[0]] = b
			}
		}
	}
	return mods
}

// managedPrefixes are the resource type prefixes of the providers in use.
var managedPrefixes = []string{"azurerm_", "azuread_", "platform_"}

// TestReferencesResolve is an offline stand-in for terraform validate: every
// var., local., module. and resource reference names something declared, and
// every module call sets exactly the inputs its module declares.
func TestReferencesResolve(t *testing.T) {
	files := loadTerraform(t)
	mods := collectModules(files)

	for _, f := range files {
		m := mods[f.module]
		hclsyntax.VisitAll(f.body, func(n hclsyntax.Node) hcl.Diagnostics {
			e, ok := n.(*hclsyntax.ScopeTraversalExpr)
			if !ok {
				return nil
			}
			tr := e.Traversal
			attr := func(i int) string {
				if i < len(tr) {
					if a, ok := tr[i].(hcl.TraverseAttr); ok {
						return a.Name
					}
				}
				return ""
			}
			where := f.path + ":" + strconv.Itoa(e.Range().Start.Line)
			switch root := tr.RootName(); {
			case root == "var":
				if _, ok := m.variables[attr(1)]; !ok {
					t.Errorf("%s: var.%s is not declared in module %s", where, attr(1), f.module)
				}
			case root == "local":
				if !m.locals[attr(1)] {
					t.Errorf("%s: local.%s is not declared in module %s", where, attr(1), f.module)
				}
			case root == "module":
				call, ok := m.modules[attr(1)]
				if !ok {
					t.Errorf("%s: module.%s is not declared", where, attr(1))
					return nil
				}
				out := attr(2)
				if out == "" { // module.x[0].out
					if len(tr) > 3 {
						if a, ok := tr[3].(hcl.TraverseAttr); ok {
							out = a.Name
						}
					}
				}
				if child := mods[moduleDir(t, call)]; child == nil || !child.outputs[out] {
					t.Errorf("%s: module.%s has no output %q", where, attr(1), out)
				}
			case root == "data":
				if !m.resources["data."+attr(1)+"."+attr(2)] {
					t.Errorf("%s: data.%s.%s is not declared in module %s", where, attr(1), attr(2), f.module)
				}
			default:
				for _, p := range managedPrefixes {
					if strings.HasPrefix(root, p) && !m.resources[root+"."+attr(1)] {
						t.Errorf("%s: %s.%s is not declared in module %s", where, root, attr(1), f.module)
					}
				}
			}
			return nil
		})
	}

	meta := map[string]bool{"source": true, "count": true, "for_each": true, "providers": true, "depends_on": true, "version": true}
	for caller, m := range mods {
		for name, call := range m.modules {
			child := mods[moduleDir(t, call)]
			if child == nil {
				t.Errorf("%s: module %s has no .tf files", caller, name)
				continue
			}
			for arg := range call.Body.Attributes {
				if _, ok := child.variables[arg]; !ok && !meta[arg] {
					t.Errorf("%s: module %s sets %s, which the module does not declare", caller, name, arg)
				}
			}
			for v, b := range child.variables {
				if _, hasDefault := b.Body.Attributes["default"]; hasDefault {
					continue
				}
				if _, ok := call.Body.Attributes[v]; !ok {
					t.Errorf("%s: module %s does not set the required input %s", caller, name, v)
				}
			}
		}
	}
}

// moduleDir returns the module name (directory under modules/) of a local
// module call.
func moduleDir(t *testing.T, call *hclsyntax.Block) string {
	t.Helper()
	a, ok := call.Body.Attributes["source"]
	if !ok {
		t.Fatalf("module %s has no source", call.Labels[0])
	}
	src, ok := literal(a.Expr)
	if !ok || !(strings.HasPrefix(src, "./modules/") || strings.HasPrefix(src, "../modules/")) {
		t.Fatalf("module %s: want a local modules/ source, got %s", call.Labels[0], src)
	}
	return path.Base(src)
}
