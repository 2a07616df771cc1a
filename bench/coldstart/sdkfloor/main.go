// Command sdkfloor is the cold-start reference for a custom handler built on
// the suite's required libraries: the hello server linked with the Azure
// SDK packages every handler function needs (azidentity, azsecrets, azcore
// and its ARM pipeline), zerolog and golang-jwt. It does nothing with them;
// their package initialization alone is the floor the handler starts from.
package main

import (
	"net/http"
	"os"

	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	_ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	_ "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/rs/zerolog"
)

func main() {
	http.HandleFunc("GET /", func(http.ResponseWriter, *http.Request) {})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil); err != nil {
		os.Exit(1)
	}
}
