terraform {
  required_version = ">= 1.9"

  required_providers {
    # azuread v3: client_id replaces application_id on applications and
    # service principals.
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.0"
    }
  }
}
