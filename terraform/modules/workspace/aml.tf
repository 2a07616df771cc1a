resource "azurerm_machine_learning_workspace" "this" {
  name                          = "${var.name_prefix}-mlw"
  location                      = var.location
  resource_group_name           = local.resource_group_name
  application_insights_id       = azurerm_application_insights.this.id
  key_vault_id                  = azurerm_key_vault.this.id
  storage_account_id            = azurerm_storage_account.ml.id
  public_network_access_enabled = !var.workspace_private_endpoint_enabled
  tags                          = var.tags

  identity {
    type = "SystemAssigned"
  }
}

# The cluster scales to zero when idle; its system-assigned identity reads the
# JFrog token from Key Vault (trainer) and writes job outputs.
resource "azurerm_machine_learning_compute_cluster" "this" {
  name                          = "${var.name_prefix}-cpu"
  location                      = var.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.this.id
  vm_priority                   = "Dedicated"
  vm_size                       = var.compute_vm_size
  subnet_resource_id            = azurerm_subnet.compute.id
  local_auth_enabled            = false
  tags                          = var.tags

  scale_settings {
    min_node_count                       = 0
    max_node_count                       = var.compute_max_nodes
    scale_down_nodes_after_idle_duration = "PT5M"
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_private_dns_zone" "aml" {
  for_each = var.workspace_private_endpoint_enabled ? toset(["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]) : toset([])

  name                = each.key
  resource_group_name = local.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "aml" {
  for_each = azurerm_private_dns_zone.aml

  name                  = "${var.name_prefix}-${replace(each.key, ".", "-")}"
  resource_group_name   = local.resource_group_name
  private_dns_zone_name = each.value.name
  virtual_network_id    = azurerm_virtual_network.this.id
  tags                  = var.tags
}

resource "azurerm_private_endpoint" "aml" {
  count = var.workspace_private_endpoint_enabled ? 1 : 0

  name                = "${var.name_prefix}-mlw-pe"
  location            = var.location
  resource_group_name = local.resource_group_name
  subnet_id           = azurerm_subnet.private_endpoints.id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name_prefix}-mlw"
    private_connection_resource_id = azurerm_machine_learning_workspace.this.id
    subresource_names              = ["amlworkspace"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "aml"
    private_dns_zone_ids = [for z in azurerm_private_dns_zone.aml : z.id]
  }
}
