output "resource_group_name" {
  description = "Resource group of the suite."
  value       = local.resource_group_name
}

output "subscription_id" {
  description = "Subscription of the suite."
  value       = data.azurerm_client_config.current.subscription_id
}

output "tenant_id" {
  description = "Entra ID tenant of the suite."
  value       = data.azurerm_client_config.current.tenant_id
}

output "key_vault_id" {
  description = "Resource ID of the Key Vault."
  value       = azurerm_key_vault.this.id
}

output "key_vault_name" {
  description = "Name of the Key Vault (KEY_VAULT_NAME)."
  value       = azurerm_key_vault.this.name
}

output "key_vault_uri" {
  description = "URI of the Key Vault."
  value       = azurerm_key_vault.this.vault_uri
}

output "storage_account_id" {
  description = "Resource ID of the AzureML workspace storage account (job outputs)."
  value       = azurerm_storage_account.ml.id
}

output "workspace_id" {
  description = "Resource ID of the AzureML workspace."
  value       = azurerm_machine_learning_workspace.this.id
}

output "workspace_name" {
  description = "Name of the AzureML workspace (AZUREML_WORKSPACE_NAME)."
  value       = azurerm_machine_learning_workspace.this.name
}

output "compute_name" {
  description = "Name of the AzureML compute cluster (AZUREML_COMPUTE_NAME)."
  value       = azurerm_machine_learning_compute_cluster.this.name
}

output "compute_principal_id" {
  description = "Object ID of the compute cluster's system-assigned identity."
  value       = azurerm_machine_learning_compute_cluster.this.identity[0].principal_id
}

output "functions_subnet_id" {
  description = "Subnet delegated to the Flex Consumption function app."
  value       = azurerm_subnet.functions.id
}

output "application_insights_connection_string" {
  description = "Application Insights connection string for the function app."
  value       = azurerm_application_insights.this.connection_string
  sensitive   = true
}
