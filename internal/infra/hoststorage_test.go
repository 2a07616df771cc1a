package infra

import (
	"strings"
	"testing"
)

// TestHostStorageWithoutConnectionString checks that the function app ends
// up without the AzureWebJobsStorage connection string that
// azurerm_function_app_flex_consumption injects: an azapi action PUTs the
// app's own settings minus the injected ones into config/appsettings after
// every change of the app (sources in host_storage.tf).
func TestHostStorageWithoutConnectionString(t *testing.T) {
	files := loadTerraform(t)
	b := oneBlock(t, files, "functions", "resource", "azapi_resource_action", "app_settings")
	attr := func(name string) string {
		a, ok := b.block.Body.Attributes[name]
		if !ok {
			t.Fatalf("azapi_resource_action.app_settings has no %s", name)
		}
		return exprText(b.file, a.Expr)
	}
	if got := attr("method"); got != `"PUT"` {
		t.Errorf("method = %s, want \"PUT\" (replaces every app setting)", got)
	}
	if got := attr("type"); !strings.HasPrefix(got, `"Microsoft.Web/sites/config@`) {
		t.Errorf("type = %s, want Microsoft.Web/sites/config@<api-version>", got)
	}
	if got := attr("resource_id"); got != `"${azurerm_function_app_flex_consumption.this.id}/config/appsettings"` {
		t.Errorf("resource_id = %s, want the app's config/appsettings", got)
	}
	body := attr("body")
	for _, want := range []string{"azurerm_function_app_flex_consumption.this.app_settings", "local.provider_injected_settings", "APPLICATIONINSIGHTS_CONNECTION_STRING"} {
		if !strings.Contains(body, want) {
			t.Errorf("body does not use %s:\n%s", want, body)
		}
	}
	lc := nestedBlock(b.block, "lifecycle")
	if lc == nil {
		t.Fatal("no lifecycle block: the PUT must run again after every app update")
	}
	if a, ok := lc.Body.Attributes["replace_triggered_by"]; !ok || exprText(b.file, a.Expr) != "[azurerm_function_app_flex_consumption.this]" {
		t.Error("lifecycle.replace_triggered_by must be [azurerm_function_app_flex_consumption.this]")
	}

	var got string
	for _, l := range blocks(files, "functions", "locals") {
		if a, ok := l.block.Body.Attributes["provider_injected_settings"]; ok {
			got = exprText(l.file, a.Expr)
		}
	}
	if !strings.Contains(got, `"AzureWebJobsStorage"`) || !strings.Contains(got, `"DEPLOYMENT_STORAGE_CONNECTION_STRING"`) {
		t.Errorf("provider_injected_settings = %s", got)
	}
}
