output "client_id" {
  description = "Client (application) ID: the aud claim of the version 2 tokens."
  value       = azuread_application.this.client_id
}

output "audience" {
  description = "Application ID URI to request tokens for (AZURE_AD_TOKEN_AUDIENCE)."
  value       = azuread_application_identifier_uri.this.identifier_uri
}

output "service_principal_object_id" {
  description = "Object ID of the application's service principal."
  value       = azuread_service_principal.this.object_id
}

output "api_client_id" {
  description = "Client ID of the HTTP API's app registration (AUTH_AUDIENCE, the aud claim of the callers' tokens)."
  value       = azuread_application.api.client_id
}

output "api_audience" {
  description = "Application ID URI of the HTTP API: callers request tokens for it (az account get-access-token --resource)."
  value       = azuread_application_identifier_uri.api.identifier_uri
}

output "github_caller_client_ids" {
  description = "Client IDs of the GitHub Actions callers' applications (azure/login client-id), by name."
  value       = { for k, a in azuread_application.github : k => a.client_id }
}
