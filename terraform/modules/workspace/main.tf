# The workspace stack: resource group, network, Key Vault, storage,
# Application Insights, the AzureML workspace and its compute cluster.

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  count = var.create_resource_group ? 1 : 0

  name     = var.resource_group_name
  location = var.location
  tags     = var.tags
}

data "azurerm_resource_group" "existing" {
  count = var.create_resource_group ? 0 : 1

  name = var.resource_group_name
}

locals {
  resource_group_name = var.create_resource_group ? azurerm_resource_group.this[0].name : data.azurerm_resource_group.existing[0].name
  # Storage account and Key Vault names are global and short: letters and
  # digits only, made unique per resource group.
  suffix               = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.resource_group_name}"), 0, 6)
  key_vault_name       = "${var.name_prefix}-kv-${local.suffix}"
  storage_account_name = "${var.name_prefix}ml${local.suffix}"
}
