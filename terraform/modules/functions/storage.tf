# Host storage of the function app: identity-based only (shared keys off), so
# the app's identity needs Storage Blob Data Owner (roles.tf). The deployment
# container holds the package Flex runs from; the lock container holds the
# rotation lease.
resource "azurerm_storage_account" "host" {
  name                            = "${var.name_prefix}fn${substr(sha1("${var.subscription_id}/${var.resource_group_name}"), 0, 6)}"
  location                        = var.location
  resource_group_name             = var.resource_group_name
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  tags                            = var.tags
}

resource "azurerm_storage_container" "deployment" {
  name                  = "app-package"
  storage_account_id    = azurerm_storage_account.host.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "locks" {
  name                  = var.lock_container
  storage_account_id    = azurerm_storage_account.host.id
  container_access_type = "private"
}
