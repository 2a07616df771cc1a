# Role assignments of the function app's system-assigned identity, each scoped
# to the one resource it needs.

locals {
  function_principal_id = azurerm_function_app_flex_consumption.this.identity[0].principal_id
}

# Rotation writes new versions of the JFrog token secret.
resource "azurerm_role_assignment" "function_kv_secrets_officer" {
  scope                = var.key_vault_id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = local.function_principal_id
  principal_type       = "ServicePrincipal"
}

# Flex host storage (identity-based AzureWebJobsStorage: host keys, timer
# locks), the deployment package container and the rotation lease.
resource "azurerm_role_assignment" "function_host_blob_owner" {
  scope                = azurerm_storage_account.host.id
  role_definition_name = "Storage Blob Data Owner"
  principal_id         = local.function_principal_id
  principal_type       = "ServicePrincipal"
}

# Job submission: environments, connections and command jobs in the workspace.
resource "azurerm_role_assignment" "function_aml_data_scientist" {
  scope                = var.workspace_id
  role_definition_name = "AzureML Data Scientist"
  principal_id         = local.function_principal_id
  principal_type       = "ServicePrincipal"
}

# Job status reads the outputs (metrics, inference results) from the
# workspace's default datastore.
resource "azurerm_role_assignment" "function_ml_blob_reader" {
  scope                = var.workspace_storage_account_id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = local.function_principal_id
  principal_type       = "ServicePrincipal"
}
