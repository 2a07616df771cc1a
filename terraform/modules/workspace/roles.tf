# Role assignments of the compute cluster's system-assigned identity, each
# scoped to the one resource it needs.

# The trainer reads the JFrog token secret.
resource "azurerm_role_assignment" "compute_kv_secrets_user" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_machine_learning_compute_cluster.this.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# Jobs mount inputs and upload outputs to the workspace storage account.
resource "azurerm_role_assignment" "compute_blob_contributor" {
  scope                = azurerm_storage_account.ml.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_machine_learning_compute_cluster.this.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
