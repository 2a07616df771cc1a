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

variable "api_display_name" {
  description = "Display name of the app registration of the function app's HTTP API (AUTH_AUDIENCE)."
  type        = string
}

variable "api_callers" {
  description = "Service principals (object ids) that call the HTTP functions with Entra ID tokens, and the app roles each holds."
  type = map(object({
    principal_object_id = string
    roles               = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue(flatten([for c in var.api_callers : [for r in c.roles : contains(["Jobs.Submit", "Jobs.Read", "Rotation.Run", "Diagnostics.Read"], r)]]))
    error_message = "Roles are Jobs.Submit, Jobs.Read, Rotation.Run and Diagnostics.Read."
  }
}

variable "github_callers" {
  description = "GitHub Actions workflows that call the HTTP functions: the OIDC subject they federate with (repo:ORG/REPO:environment:NAME or repo:ORG/REPO:ref:refs/heads/BRANCH) and the app roles each holds."
  type = map(object({
    subject = string
    roles   = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue(flatten([for c in var.github_callers : [for r in c.roles : contains(["Jobs.Submit", "Jobs.Read", "Rotation.Run", "Diagnostics.Read"], r)]]))
    error_message = "Roles are Jobs.Submit, Jobs.Read, Rotation.Run and Diagnostics.Read."
  }

  validation {
    condition     = alltrue([for c in var.github_callers : startswith(c.subject, "repo:")])
    error_message = "A GitHub Actions subject starts with repo:ORG/REPO:."
  }
}
