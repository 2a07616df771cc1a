terraform {
  required_version = ">= 1.9"

  required_providers {
    # azurerm v4: rbac_authorization_enabled on azurerm_key_vault replaces the
    # deprecated enable_rbac_authorization (removed in v5).
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.50"
    }
    # azapi: the app settings PUT in host_storage.tf.
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}
