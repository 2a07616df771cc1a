# The app registration of the function app's HTTP API. In AUTH_MODE entra or
# both, callers (CI service principals, GitHub Actions through federation,
# admins) request tokens for api://<client id> and the handler checks the app
# roles in them: Jobs.Submit (training, deployment, cancel), Jobs.Read
# (status), Rotation.Run (HTTP rotation), Diagnostics.Read (diagnostics).
# Assignment is required, so only principals holding a role get a token.
# Access tokens are version 2 (iss https://login.microsoftonline.com/<tenant>/v2.0,
# aud = client id).

locals {
  api_roles = {
    "Jobs.Submit"      = "Submit and cancel AzureML training and deployment jobs."
    "Jobs.Read"        = "Read the status and results of AzureML jobs."
    "Rotation.Run"     = "Run the JFrog token rotation over HTTP."
    "Diagnostics.Read" = "Read the function app's diagnostics."
  }
  # Stable ids of the app roles: the same on every apply.
  api_role_ids = { for r in keys(local.api_roles) : r => uuidv5("url", "https://github.com/frogbridge/frogbridge/app-roles/${r}") }

  # One assignment per (caller, role), for service principals and for the
  # GitHub Actions workload identities.
  caller_roles = merge(
    merge([for name, c in var.api_callers : { for r in c.roles : "${name}/${r}" => { principal = c.principal_object_id, role = r } }]...),
    merge([for name, c in var.github_callers : { for r in c.roles : "github-${name}/${r}" => { principal = azuread_service_principal.github[name].object_id, role = r } }]...),
  )
}

resource "azuread_application" "api" {
  display_name     = var.api_display_name
  owners           = local.owners
  sign_in_audience = "AzureADMyOrg"

  api {
    requested_access_token_version = 2
  }

  dynamic "app_role" {
    for_each = local.api_roles
    content {
      allowed_member_types = ["Application", "User"]
      description          = app_role.value
      display_name         = app_role.key
      enabled              = true
      id                   = local.api_role_ids[app_role.key]
      value                = app_role.key
    }
  }
}

resource "azuread_application_identifier_uri" "api" {
  application_id = azuread_application.api.id
  identifier_uri = "api://${azuread_application.api.client_id}"
}

resource "azuread_service_principal" "api" {
  client_id                    = azuread_application.api.client_id
  app_role_assignment_required = true
  owners                       = local.owners
}

# GitHub Actions callers: one application each, trusting the repository's
# OIDC tokens for the given subject (federated identity credential), so no
# secret exists anywhere. azure/login signs in with its client id.
resource "azuread_application" "github" {
  for_each = var.github_callers

  display_name     = "${var.api_display_name}-github-${each.key}"
  owners           = local.owners
  sign_in_audience = "AzureADMyOrg"
}

resource "azuread_application_federated_identity_credential" "github" {
  for_each = var.github_callers

  application_id = azuread_application.github[each.key].id
  display_name   = "github-${each.key}"
  description    = "GitHub Actions OIDC tokens of ${each.value.subject}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = each.value.subject
}

resource "azuread_service_principal" "github" {
  for_each = var.github_callers

  client_id = azuread_application.github[each.key].client_id
  owners    = local.owners
}

resource "azuread_app_role_assignment" "callers" {
  for_each = local.caller_roles

  app_role_id         = local.api_role_ids[each.value.role]
  principal_object_id = each.value.principal
  resource_object_id  = azuread_service_principal.api.object_id
}
