# One root that composes the suite: the workspace stack, the function app and
# (optionally) the Entra ID application. The JFrog OIDC setup is the separate,
# optional root jfrog-oidc/: it needs a JFrog admin token, which this root
# must not require.

module "workspace" {
  source = "./modules/workspace"

  name_prefix                        = var.name_prefix
  location                           = var.location
  resource_group_name                = var.resource_group_name
  create_resource_group              = var.create_resource_group
  deployer_ip_ranges                 = var.deployer_ip_ranges
  workspace_private_endpoint_enabled = var.workspace_private_endpoint_enabled
  compute_vm_size                    = var.compute_vm_size
  compute_max_nodes                  = var.compute_max_nodes
  tags                               = var.tags
}

locals {
  app_client_id    = var.create_entra_app ? module.identity[0].client_id : var.existing_app_client_id
  token_audience   = var.create_entra_app ? module.identity[0].audience : "api://${var.existing_app_client_id}"
  api_client_id    = var.create_entra_app ? module.identity[0].api_client_id : var.existing_api_client_id
  artifactory_host = coalesce(var.artifactory_host, regex("^https://([^/]+)", var.artifactory_url)[0])
}

module "functions" {
  source = "./modules/functions"

  name_prefix                            = var.name_prefix
  location                               = var.location
  resource_group_name                    = module.workspace.resource_group_name
  subscription_id                        = module.workspace.subscription_id
  subnet_id                              = module.workspace.functions_subnet_id
  deployer_ip_ranges                     = var.deployer_ip_ranges
  application_insights_connection_string = module.workspace.application_insights_connection_string

  key_vault_id                  = module.workspace.key_vault_id
  key_vault_name                = module.workspace.key_vault_name
  workspace_id                  = module.workspace.workspace_id
  workspace_name                = module.workspace.workspace_name
  workspace_resource_group_name = module.workspace.resource_group_name
  workspace_storage_account_id  = module.workspace.storage_account_id
  compute_name                  = module.workspace.compute_name

  log_level                = var.log_level
  artifactory_url          = var.artifactory_url
  artifactory_host         = local.artifactory_host
  docker_repo              = var.docker_repo
  ml_repo                  = var.ml_repo
  trainer_image_tag        = var.trainer_image_tag
  jfrog_oidc_provider_name = var.jfrog_oidc_provider_name
  token_audience           = local.token_audience
  secret_ttl               = var.secret_ttl
  revoke_previous          = var.revoke_previous
  force_min_interval       = var.force_min_interval
  rotation_targets         = var.rotation_targets
  auth_mode                = var.auth_mode
  auth_tenant_id           = module.workspace.tenant_id
  auth_audience            = local.api_client_id == null ? "" : local.api_client_id
  tags                     = var.tags
}

module "identity" {
  source = "./modules/identity"
  count  = var.create_entra_app ? 1 : 0

  display_name          = "${var.name_prefix}-jfrog-exchange"
  function_principal_id = module.functions.principal_id
  api_display_name      = "${var.name_prefix}-api"
  api_callers           = var.api_callers
  github_callers        = var.github_callers
}
