variable "provider_name" {
  description = "Name of the OIDC integration (JFROG_OIDC_PROVIDER_NAME)."
  type        = string
}

variable "tenant_id" {
  description = "Entra ID tenant that issues the tokens."
  type        = string
}

variable "app_client_id" {
  description = "Client ID of the Entra ID application: the aud claim of the version 2 tokens."
  type        = string
}

variable "principal_object_id" {
  description = "Object ID of the function app's identity; when set the mapping also requires this oid claim."
  type        = string
  default     = null
}

variable "token_username" {
  description = "Existing JFrog user the exchanged tokens act as."
  type        = string
}

variable "token_scope" {
  description = "Scope of the exchanged tokens (applied-permissions/user, applied-permissions/groups:..., ...)."
  type        = string
  default     = "applied-permissions/user"

  validation {
    condition     = can(regex("^applied-permissions/(admin|user|groups:.+|roles:.+)$", var.token_scope))
    error_message = "The token_scope must match applied-permissions/(admin|user|groups:...|roles:...)."
  }
}

variable "token_expires_in" {
  description = "Lifetime in seconds of the exchanged tokens; keep it equal to SECRET_TTL."
  type        = number
}

variable "mapping_priority" {
  description = "Priority of the identity mapping (lower wins)."
  type        = number
  default     = 1
}
