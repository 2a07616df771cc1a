package infra

import (
	"strings"
	"testing"
)

// roleAssignment is one azurerm_role_assignment as written in the HCL.
type roleAssignment struct {
	module, name, role, scope, principal string
}

func roleAssignments(t *testing.T, files []tfFile) []roleAssignment {
	t.Helper()
	var out []roleAssignment
	for _, b := range blocks(files, "", "resource", "azurerm_role_assignment") {
		attrs := b.block.Body.Attributes
		ra := roleAssignment{module: b.file.module, name: b.block.Labels[1]}
		if a, ok := attrs["role_definition_name"]; ok {
			ra.role, _ = literal(a.Expr)
		}
		if a, ok := attrs["scope"]; ok {
			ra.scope = exprText(b.file, a.Expr)
		}
		if a, ok := attrs["principal_id"]; ok {
			ra.principal = exprText(b.file, a.Expr)
		}
		if _, ok := attrs["role_definition_id"]; ok || ra.role == "" {
			t.Errorf("%s.%s: name the role with a literal role_definition_name", ra.module, ra.name)
		}
		out = append(out, ra)
	}
	return out
}

// TestRoleAssignments checks that every role the suite needs is assigned,
// to the right identity, on the one resource it needs, and nothing more.
func TestRoleAssignments(t *testing.T) {
	files := loadTerraform(t)
	got := roleAssignments(t, files)

	const (
		compute  = "azurerm_machine_learning_compute_cluster.this.identity[0].principal_id"
		function = "local.function_principal_id"
	)
	want := []roleAssignment{
		{module: "workspace", role: "Key Vault Secrets User", scope: "azurerm_key_vault.this.id", principal: compute},
		{module: "workspace", role: "Storage Blob Data Contributor", scope: "azurerm_storage_account.ml.id", principal: compute},
		{module: "functions", role: "Key Vault Secrets Officer", scope: "var.key_vault_id", principal: function},
		{module: "functions", role: "Storage Blob Data Owner", scope: "azurerm_storage_account.host.id", principal: function},
		{module: "functions", role: "AzureML Data Scientist", scope: "var.workspace_id", principal: function},
		{module: "functions", role: "Storage Blob Data Reader", scope: "var.workspace_storage_account_id", principal: function},
	}
	for _, w := range want {
		t.Run(w.module+"/"+w.role, func(t *testing.T) {
			n := 0
			for _, g := range got {
				if g.module == w.module && g.role == w.role {
					n++
					if g.scope != w.scope {
						t.Errorf("%s scope = %s, want %s", g.name, g.scope, w.scope)
					}
					if g.principal != w.principal {
						t.Errorf("%s principal = %s, want %s", g.name, g.principal, w.principal)
					}
				}
			}
			if n != 1 {
				t.Errorf("want exactly one %q assignment in module %s, found %d", w.role, w.module, n)
			}
		})
	}

	t.Run("nothing broader", func(t *testing.T) {
		if len(got) != len(want) {
			t.Errorf("found %d role assignments, want %d: every extra role needs a reason in this test", len(got), len(want))
		}
		for _, g := range got {
			if reason := broadRole(g); reason != "" {
				t.Errorf("%s.%s: %s", g.module, g.name, reason)
			}
		}
	})

	// The scopes passed in as variables must be the resources themselves.
	t.Run("scopes wired to resources", func(t *testing.T) {
		functions := oneBlock(t, files, "root", "module", "functions")
		for input, want := range map[string]string{
			"key_vault_id":                 "module.workspace.key_vault_id",
			"workspace_id":                 "module.workspace.workspace_id",
			"workspace_storage_account_id": "module.workspace.storage_account_id",
		} {
			a, ok := functions.block.Body.Attributes[input]
			if !ok || exprText(functions.file, a.Expr) != want {
				t.Errorf("module.functions.%s must be %s", input, want)
			}
		}
		for output, want := range map[string]string{
			"key_vault_id":       "azurerm_key_vault.this.id",
			"workspace_id":       "azurerm_machine_learning_workspace.this.id",
			"storage_account_id": "azurerm_storage_account.ml.id",
		} {
			o := oneBlock(t, files, "workspace", "output", output)
			if a, ok := o.block.Body.Attributes["value"]; !ok || exprText(o.file, a.Expr) != want {
				t.Errorf("workspace output %s must be %s", output, want)
			}
		}
	})

	t.Run("app role for the function identity", func(t *testing.T) {
		ra := oneBlock(t, files, "identity", "resource", "azuread_app_role_assignment", "function")
		if a, ok := ra.block.Body.Attributes["principal_object_id"]; !ok || exprText(ra.file, a.Expr) != "var.function_principal_id" {
			t.Errorf("azuread_app_role_assignment must assign var.function_principal_id")
		}
		id := oneBlock(t, files, "root", "module", "identity")
		if a, ok := id.block.Body.Attributes["function_principal_id"]; !ok || exprText(id.file, a.Expr) != "module.functions.principal_id" {
			t.Errorf("module.identity.function_principal_id must be module.functions.principal_id")
		}
	})
}

// broadRole explains why a role assignment is broader than the suite needs,
// or returns "".
func broadRole(ra roleAssignment) string {
	switch ra.role {
	case "Owner", "Contributor", "User Access Administrator", "Key Vault Administrator",
		"Storage Account Contributor", "AzureML Compute Operator", "Role Based Access Control Administrator":
		return "role " + ra.role + " is broader than the suite needs"
	}
	s := strings.ToLower(ra.scope)
	for _, broad := range []string{"resource_group", "subscription", "management_group", `"/`} {
		if strings.Contains(s, broad) {
			return "scope " + ra.scope + " is a resource group, subscription or literal; scope to the resource"
		}
	}
	return ""
}

func TestBroadRoleDetects(t *testing.T) {
	tests := []struct {
		ra    roleAssignment
		broad bool
	}{
		{roleAssignment{role: "Key Vault Secrets User", scope: "azurerm_key_vault.this.id"}, false},
		{roleAssignment{role: "Contributor", scope: "azurerm_key_vault.this.id"}, true},
		{roleAssignment{role: "Storage Blob Data Reader", scope: "azurerm_resource_group.this[0].id"}, true},
		{roleAssignment{role: "Storage Blob Data Reader", scope: "data.azurerm_subscription.current.id"}, true},
		{roleAssignment{role: "Reader", scope: `"/subscriptions/x"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.ra.role+" "+tt.ra.scope, func(t *testing.T) {
			if got := broadRole(tt.ra) != ""; got != tt.broad {
				t.Errorf("broad = %v, want %v", got, tt.broad)
			}
		})
	}
}
