variable "display_name" {
  description = "Display name of the Entra ID application whose audience the rotation requests tokens for."
  type        = string
}

variable "owners" {
  description = "Object IDs of the application's owners; empty makes the caller the only owner."
  type        = list(string)
  default     = []
}

variable "function_principal_id" {
  description = "Object ID of the function app's managed identity, assigned the token-exchange app role."
  type        = string
}
