output "resource_group_name" {
  description = "Resource group of the suite."
  value       = module.workspace.resource_group_name
}

output "subscription_id" {
  description = "Subscription of the suite."
  value       = module.workspace.subscription_id
}

output "tenant_id" {
  description = "Entra ID tenant (issuer of the tokens JFrog trusts)."
  value       = module.workspace.tenant_id
}

output "function_app_name" {
  description = "Function app name (az functionapp deploy --name)."
  value       = module.functions.function_app_name
}

output "function_app_hostname" {
  description = "Function app host name (admin endpoint, HTTP API)."
  value       = module.functions.function_app_hostname
}

output "function_principal_id" {
  description = "Object ID of the function app's identity (JFrog identity mapping oid claim)."
  value       = module.functions.principal_id
}

output "rotation_schedule" {
  description = "ROTATION_SCHEDULE computed from secret_ttl."
  value       = module.functions.rotation_schedule
}

output "workspace_name" {
  description = "AzureML workspace name."
  value       = module.workspace.workspace_name
}

output "compute_name" {
  description = "AzureML compute cluster name."
  value       = module.workspace.compute_name
}

output "key_vault_name" {
  description = "Key Vault that holds the JFrog token."
  value       = module.workspace.key_vault_name
}

output "key_vault_uri" {
  description = "URI of the Key Vault."
  value       = module.workspace.key_vault_uri
}

output "token_audience" {
  description = "AZURE_AD_TOKEN_AUDIENCE of the function app."
  value       = local.token_audience
}

output "entra_app_client_id" {
  description = "Client ID of the Entra ID application (aud claim for the JFrog integration)."
  value       = local.app_client_id
}

output "trainer_image_repository" {
  description = "Image repository docker/build.sh pushes the trainer to."
  value       = "${local.artifactory_host}/${var.docker_repo}/azureml-training"
}

output "api_audience" {
  description = "Application ID URI of the HTTP API: CI requests tokens for it (az account get-access-token --resource)."
  value       = var.create_entra_app ? module.identity[0].api_audience : (var.existing_api_client_id == null ? null : "api://${var.existing_api_client_id}")
}

output "api_client_id" {
  description = "Client ID of the HTTP API's app registration (AUTH_AUDIENCE)."
  value       = local.api_client_id
}

output "github_caller_client_ids" {
  description = "Client IDs for azure/login of the GitHub Actions callers, by name."
  value       = var.create_entra_app ? module.identity[0].github_caller_client_ids : {}
}

output "auth_mode" {
  description = "AUTH_MODE of the function app; make package AUTH_MODE=<it> before deploying."
  value       = var.auth_mode
}
