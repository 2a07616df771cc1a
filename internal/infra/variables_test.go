package infra

import (
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var (
	// secretish matches names of values that are credentials.
	secretish = regexp.MustCompile(`(?i)(password|passwd|secret|access_token|api_token|access_key|account_key|client_secret|connection_string|private_key|(^|_)key$|(^|_)token$)`)
	// secretRef matches names that only name or locate a secret.
	secretRef = regexp.MustCompile(`(?i)_(name|names|id|ids|uri|url|ttl|version|type)$`)
)

// looksSecret reports whether a variable or output name holds a credential.
func looksSecret(name string) bool {
	return secretish.MatchString(name) && !secretRef.MatchString(name)
}

func TestLooksSecret(t *testing.T) {
	tests := []struct {
		name   string
		secret bool
	}{
		{"jfrog_access_token", true},
		{"application_insights_connection_string", true},
		{"storage_account_key", true},
		{"client_secret", true},
		{"admin_password", true},
		{"token", true},
		{"token_secret_name", false},
		{"token_audience", false},
		{"token_username", false},
		{"key_vault_id", false},
		{"key_vault_name", false},
		{"secret_ttl", false},
		{"token_expires_in", false},
		{"docker_repo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := looksSecret(tt.name); got != tt.secret {
				t.Errorf("looksSecret(%q) = %v, want %v", tt.name, got, tt.secret)
			}
		})
	}
}

// TestSecretVariables checks that no secret has a default value and that
// secrets are marked sensitive, in variables and outputs of every module.
func TestSecretVariables(t *testing.T) {
	files := loadTerraform(t)
	vars := blocks(files, "", "variable")
	if len(vars) == 0 {
		t.Fatal("no variables found")
	}
	secrets := 0
	for _, b := range vars {
		name := b.block.Labels[0]
		attrs := b.block.Body.Attributes
		sensitive := isTrue(attrs["sensitive"])
		t.Run(b.file.module+"/var."+name, func(t *testing.T) {
			if _, ok := attrs["description"]; !ok {
				t.Errorf("var.%s has no description", name)
			}
			if _, ok := attrs["type"]; !ok {
				t.Errorf("var.%s has no type", name)
			}
			if !looksSecret(name) && !sensitive {
				return
			}
			secrets++
			if !sensitive {
				t.Errorf("var.%s holds a secret: mark it sensitive = true", name)
			}
			if d, ok := attrs["default"]; ok && !isNull(d) {
				t.Errorf("var.%s holds a secret and has a default (%s); secrets come from TF_VAR_ or the environment", name, exprText(b.file, d.Expr))
			}
		})
	}
	if secrets == 0 {
		t.Error("no secret variables found; the checker cannot be working (application_insights_connection_string is one)")
	}
	for _, b := range blocks(files, "", "output") {
		name := b.block.Labels[0]
		t.Run(b.file.module+"/output."+name, func(t *testing.T) {
			if looksSecret(name) && !isTrue(b.block.Body.Attributes["sensitive"]) {
				t.Errorf("output %s holds a secret: mark it sensitive = true", name)
			}
			if _, ok := b.block.Body.Attributes["description"]; !ok {
				t.Errorf("output %s has no description", name)
			}
		})
	}
}

func isTrue(a *hclsyntax.Attribute) bool {
	if a == nil {
		return false
	}
	v, ok := literal(a.Expr)
	return ok && v == "true"
}

func isNull(a *hclsyntax.Attribute) bool {
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}

// TestTfvarsExample checks that terraform.tfvars.example sets only root
// variables, sets every root variable without a default, and holds no
// secret.
func TestTfvarsExample(t *testing.T) {
	files := loadTerraform(t)
	path := terraformDir + "/terraform.tfvars.example"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	set := f.Body.(*hclsyntax.Body).Attributes
	root := map[string]*hclsyntax.Block{}
	for _, b := range blocks(files, "root", "variable") {
		root[b.block.Labels[0]] = b.block
	}
	for name := range set {
		b, ok := root[name]
		if !ok {
			t.Errorf("%s sets %s, which is not a root variable", path, name)
			continue
		}
		if looksSecret(name) || isTrue(b.Body.Attributes["sensitive"]) {
			t.Errorf("%s sets the secret %s; secrets come from TF_VAR_%s", path, name, name)
		}
	}
	for name, b := range root {
		if _, hasDefault := b.Body.Attributes["default"]; !hasDefault {
			if _, ok := set[name]; !ok {
				t.Errorf("%s does not set the required variable %s", path, name)
			}
		}
	}
}
