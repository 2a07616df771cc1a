package keyvault_test

import (
	"fmt"

	"github.com/frogbridge/frogbridge/internal/keyvault"
)

func ExampleVaultURL() {
	u, _ := keyvault.VaultURL("kv-frogbridge", "")
	fmt.Println(u)
	u, _ = keyvault.VaultURL("kv-frogbridge", "https://127.0.0.1:8443")
	fmt.Println(u)
	_, err := keyvault.VaultURL("kv--bad", "")
	fmt.Println(err != nil)
	// Output:
	// https://kv-frogbridge.vault.azure.net/
	// https://127.0.0.1:8443/
	// true
}
