package infra

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestResourceShape pins the settings the issue asks for on each resource:
// the Flex Consumption shape, identities, and the network and vault hardening.
func TestResourceShape(t *testing.T) {
	files := loadTerraform(t)
	tests := []struct {
		module, typ, name string
		path              string // attribute, or block.attribute for a nested block
		want              string
	}{
		{"functions", "azurerm_service_plan", "this", "sku_name", "FC1"},
		{"functions", "azurerm_service_plan", "this", "os_type", "Linux"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "runtime_name", "custom"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "runtime_version", "1.0"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "https_only", "true"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "storage_container_type", "blobContainer"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "storage_authentication_type", "SystemAssignedIdentity"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "webdeploy_publish_basic_authentication_enabled", "false"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "identity.type", "SystemAssigned"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "site_config.scm_ip_restriction_default_action", "Deny"},
		{"functions", "azurerm_function_app_flex_consumption", "this", "site_config.scm_use_main_ip_restriction", "false"},
		{"functions", "azurerm_storage_account", "host", "shared_access_key_enabled", "false"},
		{"workspace", "azurerm_key_vault", "this", "rbac_authorization_enabled", "true"},
		{"workspace", "azurerm_key_vault", "this", "purge_protection_enabled", "true"},
		{"workspace", "azurerm_key_vault", "this", "network_acls.default_action", "Deny"},
		{"workspace", "azurerm_machine_learning_compute_cluster", "this", "scale_settings.min_node_count", "0"},
		{"workspace", "azurerm_machine_learning_compute_cluster", "this", "identity.type", "SystemAssigned"},
		{"workspace", "azurerm_machine_learning_workspace", "this", "identity.type", "SystemAssigned"},
		{"workspace", "azurerm_subnet", "functions", "delegation.service_delegation.name", "Microsoft.App/environments"},
		{"identity", "azuread_application", "this", "api.requested_access_token_version", "2"},
		{"identity", "azuread_service_principal", "this", "app_role_assignment_required", "true"},
		{"jfrog", "platform_oidc_configuration", "this", "provider_type", "Azure"},
	}
	for _, tt := range tests {
		t.Run(tt.module+"/"+tt.typ+"."+tt.name+"/"+tt.path, func(t *testing.T) {
			b := oneBlock(t, files, tt.module, "resource", tt.typ, tt.name)
			body := b.block.Body
			parts := strings.Split(tt.path, ".")
			for _, p := range parts[:len(parts)-1] {
				nb := nestedBlock(&hclsyntax.Block{Body: body}, p)
				if nb == nil {
					t.Fatalf("no %s block", p)
				}
				body = nb.Body
			}
			a, ok := body.Attributes[parts[len(parts)-1]]
			if !ok {
				t.Fatalf("attribute %s not set", tt.path)
			}
			got, ok := literal(a.Expr)
			if !ok {
				t.Fatalf("%s = %s is not a literal", tt.path, exprText(b.file, a.Expr))
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.path, got, tt.want)
			}
		})
	}

	t.Run("vnet integration", func(t *testing.T) {
		b := oneBlock(t, files, "functions", "resource", "azurerm_function_app_flex_consumption", "this")
		if a, ok := b.block.Body.Attributes["virtual_network_subnet_id"]; !ok || exprText(b.file, a.Expr) != "var.subnet_id" {
			t.Error("virtual_network_subnet_id must be var.subnet_id")
		}
		root := oneBlock(t, files, "root", "module", "functions")
		if a, ok := root.block.Body.Attributes["subnet_id"]; !ok || exprText(root.file, a.Expr) != "module.workspace.functions_subnet_id" {
			t.Error("module.functions.subnet_id must be module.workspace.functions_subnet_id")
		}
	})

	// The main root must apply without JFrog credentials: the platform
	// provider is configured (and demands a token) whenever a root uses it.
	t.Run("main root needs no JFrog token", func(t *testing.T) {
		if n := len(blocks(files, "root", "provider", "platform")); n != 0 {
			t.Errorf("the main root configures the platform provider; keep it in jfrog-oidc/")
		}
		if n := len(blocks(files, "jfrog-oidc", "provider", "platform")); n != 1 {
			t.Errorf("jfrog-oidc/ must configure the platform provider once, found %d", n)
		}
	})
}
