# Identity-based host storage without any AzureWebJobsStorage setting.
#
# azurerm_function_app_flex_consumption (provider 4.55) always writes
# AzureWebJobsStorage itself: its create and update build
# "DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<storage_access_key>;…"
# from storage_container_endpoint whatever storage_authentication_type is,
# with an empty key for the identity types, and
# ExpandSiteConfigFunctionFlexConsumptionApp adds it to the app settings
# (internal/services/appservice/function_app_flex_consumption_resource.go and
# helpers/function_app_schema.go of hashicorp/terraform-provider-azurerm;
# still open: #29149, #29693, #30732, and the backend storage rework #29099).
# storage_authentication_type and storage_user_assigned_identity_id only
# choose how the deployment package is read.
#
# The module used to override it with AzureWebJobsStorage = "". The Functions
# host maintainers found that an injected empty AzureWebJobsStorage broke
# hosts on .NET 10 (Azure/azure-functions-host#11796, #11787), and the Azure
# verified module stopped emitting it: for identity-based storage it now sets
# only AzureWebJobsStorage__accountName and AzureWebJobsStorage__credential =
# "managedidentity" (plus __clientId for a user-assigned identity)
# (Azure/terraform-azurerm-avm-res-web-site#376, which manages the site with
# azapi, so no provider injects anything).
#
# Here the provider keeps managing the app, and this action then replaces the
# app's settings with exactly the module's (PUT
# Microsoft.Web/sites/config/appsettings replaces the whole collection),
# dropping the injected AzureWebJobsStorage and
# DEPLOYMENT_STORAGE_CONNECTION_STRING. It runs again whenever the app
# changes, because every provider update writes the injected setting again.

resource "azapi_resource_action" "app_settings" {
  type        = "Microsoft.Web/sites/config@2024-04-01"
  resource_id = "${azurerm_function_app_flex_consumption.this.id}/config/appsettings"
  method      = "PUT"

  body = {
    properties = merge(
      {
        for name, value in azurerm_function_app_flex_consumption.this.app_settings : name => value
        if !contains(local.provider_injected_settings, name)
      },
      # The provider writes this one from site_config; keep it.
      { APPLICATIONINSIGHTS_CONNECTION_STRING = var.application_insights_connection_string },
    )
  }

  lifecycle {
    replace_triggered_by = [azurerm_function_app_flex_consumption.this]
  }
}

locals {
  # Settings azurerm_function_app_flex_consumption writes on its own that
  # identity-based host storage must not have.
  provider_injected_settings = ["AzureWebJobsStorage", "DEPLOYMENT_STORAGE_CONNECTION_STRING"]
}
