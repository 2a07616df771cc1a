// Command sdkblob is the cold-start reference for what azblob adds: the
// sdkfloor server also linked with the azblob packages the handler uses
// (azblob, its container package for job outputs and lease for the rotation
// lock). Since azblob v1.8.1 the container package links Apache Arrow,
// klauspost/compress, klauspost/cpuid and goccy/go-json, whose package
// initialization runs at every start; the distance from sdkfloor to sdkblob
// is that cost alone.
package main

import (
	"net/http"
	"os"

	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	_ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	_ "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	_ "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	_ "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	_ "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/rs/zerolog"
)

func main() {
	http.HandleFunc("GET /", func(http.ResponseWriter, *http.Request) {})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil); err != nil {
		os.Exit(1)
	}
}
