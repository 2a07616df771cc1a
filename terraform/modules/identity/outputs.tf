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
