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
