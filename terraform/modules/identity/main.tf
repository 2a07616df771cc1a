# The Entra ID application whose audience the rotation requests managed
# identity tokens for. Access tokens are version 2 (iss
# https://login.microsoftonline.com/<tenant>/v2.0, aud = client id), which is
# what the JFrog OIDC integration and identity mapping match. Assignment is
# required, so only principals holding the app role (the function app's
# identity) can obtain a token for this audience.

data "azuread_client_config" "current" {}

locals {
  app_role_value = "JFrog.TokenExchange"
  # Stable id of the app role: the same on every apply.
  app_role_id = uuidv5("url", "https://github.com/frogbridge/frogbridge/app-roles/jfrog-token-exchange")
  owners      = length(var.owners) > 0 ? var.owners : [data.azuread_client_config.current.object_id]
}

resource "azuread_application" "this" {
  display_name     = var.display_name
  owners           = local.owners
  sign_in_audience = "AzureADMyOrg"

  api {
    requested_access_token_version = 2
  }

  app_role {
    allowed_member_types = ["Application"]
    description          = "Exchange an Entra ID token of this audience for a JFrog access token."
    display_name         = "JFrog token exchange"
    enabled              = true
    id                   = local.app_role_id
    value                = local.app_role_value
  }
}

resource "azuread_application_identifier_uri" "this" {
  application_id = azuread_application.this.id
  identifier_uri = "api://${azuread_application.this.client_id}"
}

resource "azuread_service_principal" "this" {
  client_id                    = azuread_application.this.client_id
  app_role_assignment_required = true
  owners                       = local.owners
}

resource "azuread_app_role_assignment" "function" {
  app_role_id         = local.app_role_id
  principal_object_id = var.function_principal_id
  resource_object_id  = azuread_service_principal.this.object_id
}
