output "function_app_name" {
  description = "Name of the function app."
  value       = azurerm_function_app_flex_consumption.this.name
}

output "function_app_id" {
  description = "Resource ID of the function app."
  value       = azurerm_function_app_flex_consumption.this.id
}

output "function_app_hostname" {
  description = "Default host name of the function app."
  value       = azurerm_function_app_flex_consumption.this.default_hostname
}

output "principal_id" {
  description = "Object ID of the function app's system-assigned identity."
  value       = local.function_principal_id
}

output "host_storage_account_name" {
  description = "Host storage account of the function app."
  value       = azurerm_storage_account.host.name
}

output "rotation_schedule" {
  description = "ROTATION_SCHEDULE computed from secret_ttl."
  value       = local.rotation_schedule
}
