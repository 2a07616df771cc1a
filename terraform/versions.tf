terraform {
  required_version = ">= 1.9"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.50"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.0"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}

provider "azurerm" {
  subscription_id = var.subscription_id
  # The host storage account has shared keys disabled; the provider manages
  # its containers with Entra ID.
  storage_use_azuread = true

  features {
    key_vault {
      # Purge protection is on; never try to purge on destroy.
      purge_soft_delete_on_destroy = false
    }
  }
}

provider "azuread" {}
