variable "jfrog_url" {
  description = "JFrog Platform base URL, e.g. https://mycompany.jfrog.io."
  type        = string
}

variable "jfrog_access_token" {
  description = "JFrog admin access token; null reads JFROG_ACCESS_TOKEN from the environment."
  type        = string
  sensitive   = true
  nullable    = true
  default     = null
}

variable "provider_name" {
  description = "Name of the OIDC integration; must equal the function app's JFROG_OIDC_PROVIDER_NAME."
  type        = string
  default     = "azure-frogbridge"
}

variable "tenant_id" {
  description = "Entra ID tenant: terraform -chdir=terraform output -raw tenant_id."
  type        = string
}

variable "app_client_id" {
  description = "Client ID of the Entra ID application: terraform -chdir=terraform output -raw entra_app_client_id."
  type        = string
}

variable "function_principal_id" {
  description = "Object ID of the function app's identity: terraform -chdir=terraform output -raw function_principal_id; null maps any principal holding the app role."
  type        = string
  default     = null
}

variable "token_username" {
  description = "Existing JFrog user the exchanged tokens act as."
  type        = string
}

variable "secret_ttl" {
  description = "Token lifetime in seconds; keep it equal to the function app's SECRET_TTL."
  type        = number
  default     = 21600
}
