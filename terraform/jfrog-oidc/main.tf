# Optional root: the JFrog OIDC integration and identity mapping for the
# suite, from the outputs of the main root (terraform/). Apply it after the
# main root, with a JFrog admin token in JFROG_ACCESS_TOKEN.

module "jfrog" {
  source = "../modules/jfrog"

  provider_name       = var.provider_name
  tenant_id           = var.tenant_id
  app_client_id       = var.app_client_id
  principal_object_id = var.function_principal_id
  token_username      = var.token_username
  token_expires_in    = var.secret_ttl
}
