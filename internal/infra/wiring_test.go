package infra

import (
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// notSetInAzure lists the settings config.Settings knows that the function
// app deliberately leaves unset, with the reason. Every other setting must be
// set by the function app resource.
var notSetInAzure = map[string]string{
	config.EnvKeyVaultURL:           "KEY_VAULT_NAME is set; the URL form is for other clouds and the local stack",
	config.EnvUAMIClientID:          "the function app uses its system-assigned identity",
	config.EnvStorageBlobServiceURI: "AzureWebJobsStorage__accountName is set",
	config.EnvStorageClientID:       "host storage uses the system-assigned identity",
	config.EnvComputeClientID:       "the compute cluster uses its system-assigned identity",
	config.EnvDatastoreBlobURL:      "the workspace storage is an account under the cloud's storage suffix",
	config.EnvStorageConnection:     "host storage is identity-based; host_storage.tf removes the connection string the provider injects",
}

// hostOnly lists app settings the function app sets for the Functions host
// itself, which the handler does not read.
var hostOnly = map[string]string{
	"AzureWebJobsStorage__credential": "tells the host to use the managed identity for its storage",
}

// functionAppSettings returns the app_settings of the function app resource.
func functionAppSettings(t *testing.T, files []tfFile) (tfFile, map[string]hclsyntax.Expression) {
	t.Helper()
	app := oneBlock(t, files, "functions", "resource", "azurerm_function_app_flex_consumption")
	attr, ok := app.block.Body.Attributes["app_settings"]
	if !ok {
		t.Fatalf("%s: function app has no app_settings", app.file.path)
	}
	return app.file, objectItems(t, attr.Expr)
}

func settingNames() map[string]config.Setting {
	m := make(map[string]config.Setting, len(config.Settings))
	for _, s := range config.Settings {
		m[s.Name] = s
	}
	return m
}

func TestAppSettingsWiring(t *testing.T) {
	files := loadTerraform(t)
	file, set := functionAppSettings(t, files)
	known := settingNames()
	if len(known) == 0 {
		t.Fatal("config.Settings is empty")
	}

	t.Run("config to terraform", func(t *testing.T) {
		for _, s := range config.Settings {
			_, isSet := set[s.Name]
			reason, exempt := notSetInAzure[s.Name]
			switch {
			case isSet && exempt:
				t.Errorf("%s is set by the function app but listed as not set (%s); drop it from notSetInAzure", s.Name, reason)
			case !isSet && !exempt:
				t.Errorf("%s (%s) is read by the handler but not set in app_settings of %s", s.Name, s.Group, file.path)
			}
		}
		for name := range notSetInAzure {
			if _, ok := known[name]; !ok {
				t.Errorf("notSetInAzure lists %s, which config.Settings does not know", name)
			}
		}
	})

	t.Run("terraform to config", func(t *testing.T) {
		for name := range set {
			if _, host := hostOnly[name]; host {
				continue
			}
			if _, ok := known[name]; !ok {
				t.Errorf("app_settings sets %s, which the handler does not read (add it to config.Settings or drop it)", name)
			}
		}
	})

	t.Run("values", func(t *testing.T) {
		want := map[string]string{
			config.EnvRotationSchedule:   "local.rotation_schedule",
			config.EnvSecretTTL:          "tostring(var.secret_ttl)",
			config.EnvKeyVaultName:       "var.key_vault_name",
			config.EnvLockContainer:      "azurerm_storage_container.locks.name",
			config.EnvStorageAccountName: "azurerm_storage_account.host.name",
		}
		for name, expr := range want {
			e, ok := set[name]
			if !ok {
				t.Errorf("%s not set", name)
				continue
			}
			if got := exprText(file, e); got != expr {
				t.Errorf("%s = %s, want %s", name, got, expr)
			}
		}
		// Identity-based host storage: no AzureWebJobsStorage, not even an
		// empty one (see terraform/modules/functions/host_storage.tf).
		if e, ok := set[config.EnvStorageConnection]; ok {
			t.Errorf("%s = %s must not be set: host storage is identity-based", config.EnvStorageConnection, exprText(file, e))
		}
		if e, ok := set["AzureWebJobsStorage__credential"]; !ok {
			t.Error("AzureWebJobsStorage__credential not set")
		} else if v, lit := literal(e); !lit || v != "managedidentity" {
			t.Errorf("AzureWebJobsStorage__credential = %s, want \"managedidentity\"", exprText(file, e))
		}
	})

	t.Run("defaults match config", func(t *testing.T) {
		vars := variableDefaults(t, files, "functions")
		for name, e := range set {
			s, ok := known[name]
			if !ok || s.Default == "" {
				continue
			}
			ref := strings.TrimSuffix(strings.TrimPrefix(exprText(file, e), "tostring("), ")")
			v, isVar := strings.CutPrefix(ref, "var.")
			if !isVar {
				continue
			}
			def, ok := vars[v]
			if !ok {
				t.Errorf("%s comes from var.%s, which has no literal default (config default %q)", name, v, s.Default)
				continue
			}
			if def != s.Default {
				t.Errorf("%s: var.%s defaults to %q, config.Settings to %q", name, v, def, s.Default)
			}
		}
	})
}

// variableDefaults returns the literal defaults of the variables of module.
func variableDefaults(t *testing.T, files []tfFile, module string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range blocks(files, module, "variable") {
		if a, ok := b.block.Body.Attributes["default"]; ok {
			if v, ok := literal(a.Expr); ok {
				out[b.block.Labels[0]] = v
			}
		}
	}
	return out
}

func TestREADMESettingsTable(t *testing.T) {
	src, err := os.ReadFile(readmePath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("README.md is missing: it must document every app setting in a table under %q", settingsSection)
	}
	if err != nil {
		t.Fatal(err)
	}
	names, found := parseSettingsTable(string(src))
	if !found {
		t.Fatalf("README.md has no %q section", settingsSection)
	}
	documented := map[string]int{}
	for _, n := range names {
		documented[n]++
	}
	known := settingNames()
	var missing, extra, dup []string
	for _, s := range config.Settings {
		if documented[s.Name] == 0 {
			missing = append(missing, s.Name)
		}
	}
	for n, c := range documented {
		if _, ok := known[n]; !ok {
			extra = append(extra, n)
		}
		if c > 1 {
			dup = append(dup, n)
		}
	}
	sort.Strings(extra)
	sort.Strings(dup)
	if len(missing) > 0 {
		t.Errorf("README %q table lacks %s", settingsSection, strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		t.Errorf("README %q table documents %s, which config.Settings does not know", settingsSection, strings.Join(extra, ", "))
	}
	if len(dup) > 0 {
		t.Errorf("README %q table lists %s more than once", settingsSection, strings.Join(dup, ", "))
	}
}
