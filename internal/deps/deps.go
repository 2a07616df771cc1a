package deps

import (
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	_ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	_ "github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	_ "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/robfig/cron/v3"
	_ "github.com/rs/zerolog"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/gonum/optimize"
)
