# The JFrog side of the token exchange: an OIDC integration that trusts the
# tenant's version 2 tokens for the application's audience, and an identity
# mapping that turns such a token into a JFrog access token for one user.
# This replaces the manual `curl` calls to /access/api/v1/oidc in the README.

locals {
  # Version 2 issuer; must equal the tokens' iss claim exactly.
  issuer = "https://login.microsoftonline.com/${var.tenant_id}/v2.0"
  claims = merge(
    {
      aud = var.app_client_id
      iss = local.issuer
    },
    var.principal_object_id == null ? {} : { oid = var.principal_object_id },
  )
}

resource "platform_oidc_configuration" "this" {
  name              = var.provider_name
  description       = "Entra ID tokens of the frogbridge function app"
  issuer_url        = local.issuer
  provider_type     = "Azure"
  audience          = var.app_client_id
  token_issuer      = local.issuer
  use_default_proxy = false
}

resource "platform_oidc_identity_mapping" "this" {
  name          = "${var.provider_name}-rotation"
  description   = "frogbridge token rotation"
  provider_name = platform_oidc_configuration.this.name
  priority      = var.mapping_priority
  claims_json   = jsonencode(local.claims)

  token_spec = {
    username   = var.token_username
    scope      = var.token_scope
    audience   = "*@*"
    expires_in = var.token_expires_in
  }
}
