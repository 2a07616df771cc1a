# The function app: one Flex Consumption plan (FC1) and one app with runtime
# `custom` 1.0 (the Go handler), system-assigned identity, identity-based host
# storage, VNet integration, HTTPS only, and the SCM site restricted to the
# deployer ranges.
#
# runtime_name "custom": accepted by azurerm_function_app_flex_consumption
# (webapps.RuntimeNameCustom in internal/services/appservice/
# function_app_flex_consumption_resource.go of hashicorp/terraform-provider-azurerm).

resource "azurerm_service_plan" "this" {
  name                = "${var.name_prefix}-plan"
  location            = var.location
  resource_group_name = var.resource_group_name
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = var.tags
}

resource "azurerm_function_app_flex_consumption" "this" {
  name                = "${var.name_prefix}-func-${substr(sha1("${var.subscription_id}/${var.resource_group_name}"), 0, 6)}"
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  runtime_name           = "custom"
  runtime_version        = "1.0"
  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.instance_memory_in_mb

  # The package Flex runs from, read with the app's own identity.
  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.host.primary_blob_endpoint}${azurerm_storage_container.deployment.name}"
  storage_authentication_type = "SystemAssignedIdentity"

  https_only                                     = true
  virtual_network_subnet_id                      = var.subnet_id
  webdeploy_publish_basic_authentication_enabled = false
  tags                                           = var.tags

  identity {
    type = "SystemAssigned"
  }

  site_config {
    application_insights_connection_string = var.application_insights_connection_string
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    scm_use_main_ip_restriction            = false
    scm_ip_restriction_default_action      = "Deny"

    dynamic "scm_ip_restriction" {
      for_each = var.deployer_ip_ranges

      content {
        name       = "deployer-${scm_ip_restriction.key}"
        ip_address = scm_ip_restriction.value
        action     = "Allow"
        priority   = 100 + scm_ip_restriction.key
      }
    }
  }

  # Every app setting the handler reads (internal/config.Settings); the
  # README's "App settings" table documents them. Not set here: KEY_VAULT_URL
  # (KEY_VAULT_NAME is), UAMI_CLIENT_ID, AzureWebJobsStorage__clientId and
  # AZUREML_COMPUTE_CLIENT_ID (system-assigned identities are used) and
  # AzureWebJobsStorage__blobServiceUri (the account name is).
  app_settings = {
    LOG_LEVEL = var.log_level

    # Rotation.
    KEY_VAULT_NAME                = var.key_vault_name
    ARTIFACTORY_URL               = trimsuffix(var.artifactory_url, "/")
    JFROG_OIDC_PROVIDER_NAME      = var.jfrog_oidc_provider_name
    AZURE_AD_TOKEN_AUDIENCE       = var.token_audience
    ARTIFACTORY_TOKEN_SECRET_NAME = var.token_secret_name
    SECRET_TTL                    = tostring(var.secret_ttl)
    ROTATION_SCHEDULE             = local.rotation_schedule
    ROTATION_REVOKE_PREVIOUS      = tostring(var.revoke_previous)
    ROTATION_LOCK_CONTAINER       = azurerm_storage_container.locks.name
    ROTATION_FORCE_MIN_INTERVAL   = tostring(var.force_min_interval)
    ROTATION_TARGETS              = var.rotation_targets

    # Host storage through the app's system-assigned identity: the account
    # name plus the managedidentity credential, the pair the Functions docs
    # and the verified module emit. No AzureWebJobsStorage at all: see
    # host_storage.tf for the one the provider injects.
    AzureWebJobsStorage__accountName = azurerm_storage_account.host.name
    AzureWebJobsStorage__credential  = "managedidentity"

    # Jobs.
    AZURE_SUBSCRIPTION_ID           = var.subscription_id
    AZURE_RESOURCE_GROUP            = var.workspace_resource_group_name
    AZUREML_WORKSPACE_NAME          = var.workspace_name
    AZUREML_COMPUTE_NAME            = var.compute_name
    AZURE_RESOURCE_MANAGER_ENDPOINT = var.resource_manager_endpoint
    ARTIFACTORY_HOST                = var.artifactory_host
    ARTIFACTORY_DOCKER_REPO         = var.docker_repo
    TRAINER_IMAGE_NAME              = var.trainer_image_name
    TRAINER_IMAGE_TAG               = var.trainer_image_tag
    ARTIFACTORY_ML_REPO             = var.ml_repo
    MODEL_NAME                      = var.model_name
    EXPERIMENT_NAME                 = var.experiment_name
    AZUREML_CONNECTION_NAME         = var.connection_name
    AZUREML_CONNECTION_CATEGORY     = var.connection_category

    # Callers of the HTTP functions. In both mode the host keeps its keys in
    # the vault (its Key Vault secret repository), where the handler reads
    # the keys it accepts on anonymous functions.
    AUTH_MODE                            = var.auth_mode
    AUTH_TENANT_ID                       = var.auth_tenant_id
    AUTH_AUDIENCE                        = var.auth_audience
    AUTH_ACCEPT_V1_ISSUER                = tostring(var.auth_accept_v1_issuer)
    AUTH_AUTHORITY_HOST                  = var.auth_authority_host
    AUTH_FUNCTION_KEY_SECRETS            = var.auth_function_key_secret_names
    AzureWebJobsSecretStorageType        = var.auth_mode == "both" ? "keyvault" : "blob"
    AzureWebJobsSecretStorageKeyVaultUri = var.auth_mode == "both" ? "https://${var.key_vault_name}.vault.azure.net/" : ""
  }
}
