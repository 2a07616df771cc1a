variable "subscription_id" {
  description = "Subscription to deploy into."
  type        = string
}

variable "location" {
  description = "Azure region of every resource."
  type        = string
}

variable "name_prefix" {
  description = "Short lower-case prefix for every resource name (3-12 letters or digits)."
  type        = string
  default     = "frogbridge"
}

variable "resource_group_name" {
  description = "Resource group that holds the suite."
  type        = string
}

variable "create_resource_group" {
  description = "Create the resource group; false uses an existing one of that name."
  type        = bool
  default     = true
}

variable "deployer_ip_ranges" {
  description = "Public CIDR ranges of operators and CI runners: allowed to the SCM site and through the Key Vault firewall."
  type        = list(string)
  default     = []
}

variable "workspace_private_endpoint_enabled" {
  description = "Reach the AzureML workspace through a private endpoint only."
  type        = bool
  default     = false
}

variable "compute_vm_size" {
  description = "VM size of the AzureML compute cluster nodes."
  type        = string
  default     = "Standard_DS3_v2"
}

variable "compute_max_nodes" {
  description = "Maximum node count of the AzureML compute cluster (the minimum is 0)."
  type        = number
  default     = 2
}

variable "log_level" {
  description = "Handler log level (LOG_LEVEL)."
  type        = string
  default     = "info"
}

variable "artifactory_url" {
  description = "JFrog Platform base URL, e.g. https://mycompany.jfrog.io (ARTIFACTORY_URL)."
  type        = string
}

variable "artifactory_host" {
  description = "Registry host without scheme (ARTIFACTORY_HOST); null uses the host of artifactory_url."
  type        = string
  default     = null
}

variable "docker_repo" {
  description = "Artifactory Docker repository of the trainer image (ARTIFACTORY_DOCKER_REPO)."
  type        = string
}

variable "ml_repo" {
  description = "Artifactory Machine Learning repository (ARTIFACTORY_ML_REPO)."
  type        = string
}

variable "trainer_image_tag" {
  description = "Trainer image tag used when a request names none (TRAINER_IMAGE_TAG)."
  type        = string
  default     = "latest"
}

variable "jfrog_oidc_provider_name" {
  description = "Name of the JFrog OIDC integration (JFROG_OIDC_PROVIDER_NAME)."
  type        = string
  default     = "azure-frogbridge"
}

variable "secret_ttl" {
  description = "JFrog token lifetime in seconds (SECRET_TTL); the rotation runs at 80 % of it."
  type        = number
  default     = 21600
}

variable "revoke_previous" {
  description = "Revoke the replaced JFrog token after a rotation (ROTATION_REVOKE_PREVIOUS)."
  type        = bool
  default     = false
}

variable "force_min_interval" {
  description = "Minimum seconds between two forced rotations (ROTATION_FORCE_MIN_INTERVAL); 0 turns the limit off."
  type        = number
  default     = 60
}

variable "rotation_targets" {
  description = "More secrets to rotate, a JSON array (ROTATION_TARGETS, see the README); empty rotates only the default secret."
  type        = string
  default     = ""
}

variable "create_entra_app" {
  description = "Create the Entra ID application whose audience the rotation uses (identity module)."
  type        = bool
  default     = true
}

variable "existing_app_client_id" {
  description = "Client ID of an existing Entra ID application, used when create_entra_app is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_entra_app || var.existing_app_client_id != null
    error_message = "Set existing_app_client_id when create_entra_app is false."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "auth_mode" {
  description = "How callers of the HTTP functions authenticate (AUTH_MODE): keys (function keys), entra (Entra ID tokens with app roles) or both. Deploy a package made for it (make package AUTH_MODE=...)."
  type        = string
  default     = "keys"

  validation {
    condition     = contains(["keys", "entra", "both"], var.auth_mode)
    error_message = "auth_mode is keys, entra or both."
  }

  validation {
    condition     = var.auth_mode == "keys" || var.create_entra_app || var.existing_api_client_id != null
    error_message = "auth_mode entra or both needs the API app registration: keep create_entra_app or set existing_api_client_id."
  }
}

variable "existing_api_client_id" {
  description = "Client ID of an existing app registration of the HTTP API (AUTH_AUDIENCE), used when create_entra_app is false."
  type        = string
  default     = null
}

variable "api_callers" {
  description = "Service principals calling the HTTP functions with Entra ID tokens, by name: object id and app roles (Jobs.Submit, Jobs.Read, Rotation.Run, Diagnostics.Read)."
  type = map(object({
    principal_object_id = string
    roles               = list(string)
  }))
  default = {}
}

variable "github_callers" {
  description = "GitHub Actions workflows calling the HTTP functions through OIDC federation, by name: subject (repo:ORG/REPO:environment:NAME) and app roles."
  type = map(object({
    subject = string
    roles   = list(string)
  }))
  default = {}
}
