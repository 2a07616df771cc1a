// Package azureml is the client for Azure Machine Learning over its Azure
// Resource Manager (ARM) REST API, api-version 2025-09-01: environment
// versions, workspace connections for private container registries, command
// jobs (submit, get, cancel) and the workspace's default blob datastore.
//
// Every request goes through the azcore ARM pipeline built by
// arm.NewClient (bearer token for the ARM audience, retries with backoff on
// 408/429/5xx, Retry-After, header redaction); cancellation is a
// long-running operation followed with runtime.NewPoller. Every non-2xx
// reply becomes one *upstream.ResponseError built by a single function from
// ARM's {"error":{"code","message"}} body; callers test it with errors.Is
// against upstream.ErrBadRequest, upstream.ErrUnauthorized, upstream.ErrForbidden,
// upstream.ErrNotFound, upstream.ErrConflict and upstream.ErrUnavailable. Fix hints name the caller's
// settings ([SettingNames]). Errors never contain request bodies, which may
// carry registry passwords.
//
// The same client talks to Azure and to the local stack's AzureML
// (internal/devstack/localazureml); only [ClientOptions.Endpoint] and the trusted
// CA (SSL_CERT_FILE) differ.
package azureml
