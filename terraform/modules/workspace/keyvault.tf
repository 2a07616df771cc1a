# One vault holds the rotated JFrog token. Access is Azure RBAC only (no
# access policies); the function app writes (Key Vault Secrets Officer, in the
# functions module) and the compute cluster reads (Key Vault Secrets User,
# roles.tf).
resource "azurerm_key_vault" "this" {
  name                       = local.key_vault_name
  location                   = var.location
  resource_group_name        = local.resource_group_name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  tags                       = var.tags

  network_acls {
    default_action             = "Deny"
    bypass                     = "AzureServices"
    ip_rules                   = var.deployer_ip_ranges
    virtual_network_subnet_ids = [azurerm_subnet.functions.id, azurerm_subnet.compute.id]
  }
}
