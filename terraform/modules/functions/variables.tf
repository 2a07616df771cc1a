variable "name_prefix" {
  description = "Short lower-case prefix for every resource name (3-12 letters or digits)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,11}$", var.name_prefix))
    error_message = "The name_prefix must be 3-12 lower-case letters or digits, starting with a letter."
  }
}

variable "location" {
  description = "Azure region of every resource."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the function app."
  type        = string
}

variable "subscription_id" {
  description = "Subscription of the AzureML workspace (AZURE_SUBSCRIPTION_ID)."
  type        = string
}

variable "subnet_id" {
  description = "Subnet delegated to Microsoft.App/environments for VNet integration."
  type        = string
}

variable "deployer_ip_ranges" {
  description = "Public CIDR ranges allowed to reach the SCM (deployment) site; everything else is denied."
  type        = list(string)
  default     = []
}

variable "maximum_instance_count" {
  description = "Flex Consumption maximum instance count."
  type        = number
  default     = 40
}

variable "instance_memory_in_mb" {
  description = "Flex Consumption instance memory (2048 or 4096)."
  type        = number
  default     = 2048

  validation {
    condition     = contains([512, 2048, 4096], var.instance_memory_in_mb)
    error_message = "The instance_memory_in_mb must be 512, 2048 or 4096."
  }
}

variable "application_insights_connection_string" {
  description = "Application Insights connection string (APPLICATIONINSIGHTS_CONNECTION_STRING)."
  type        = string
  sensitive   = true
}

variable "key_vault_id" {
  description = "Resource ID of the Key Vault that holds the JFrog token."
  type        = string
}

variable "key_vault_name" {
  description = "Name of the Key Vault (KEY_VAULT_NAME)."
  type        = string
}

variable "workspace_id" {
  description = "Resource ID of the AzureML workspace (AzureML Data Scientist scope)."
  type        = string
}

variable "workspace_name" {
  description = "Name of the AzureML workspace (AZUREML_WORKSPACE_NAME)."
  type        = string
}

variable "workspace_resource_group_name" {
  description = "Resource group of the AzureML workspace (AZURE_RESOURCE_GROUP)."
  type        = string
}

variable "workspace_storage_account_id" {
  description = "Resource ID of the workspace storage account the job outputs land in."
  type        = string
}

variable "compute_name" {
  description = "AzureML compute cluster that runs the jobs (AZUREML_COMPUTE_NAME)."
  type        = string
}

variable "resource_manager_endpoint" {
  description = "Azure Resource Manager endpoint (AZURE_RESOURCE_MANAGER_ENDPOINT)."
  type        = string
  default     = "https://management.azure.com"
}

variable "log_level" {
  description = "Handler log level (LOG_LEVEL)."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["trace", "debug", "info", "warn", "error"], var.log_level)
    error_message = "The log_level must be trace, debug, info, warn or error."
  }
}

variable "artifactory_url" {
  description = "JFrog Platform base URL, e.g. https://mycompany.jfrog.io (ARTIFACTORY_URL)."
  type        = string

  validation {
    condition     = can(regex("^https://[^/@]+$", trimsuffix(var.artifactory_url, "/")))
    error_message = "The artifactory_url must be an https URL with a host and no credentials or path."
  }
}

variable "jfrog_oidc_provider_name" {
  description = "Name of the JFrog OIDC integration that trusts the function app (JFROG_OIDC_PROVIDER_NAME)."
  type        = string
}

variable "token_audience" {
  description = "Audience of the Entra ID token exchanged with JFrog (AZURE_AD_TOKEN_AUDIENCE)."
  type        = string
}

variable "token_secret_name" {
  description = "Key Vault secret that holds the JFrog token (ARTIFACTORY_TOKEN_SECRET_NAME)."
  type        = string
  default     = "artifactory-access-token-secret"
}

variable "secret_ttl" {
  description = "JFrog token lifetime in seconds (SECRET_TTL); the rotation runs at 80 % of it."
  type        = number
  default     = 21600

  validation {
    condition     = var.secret_ttl >= 300 && floor(var.secret_ttl) == var.secret_ttl
    error_message = "The secret_ttl must be a whole number of seconds, at least 300."
  }
}

variable "revoke_previous" {
  description = "Revoke the replaced JFrog token once the new one is stored (ROTATION_REVOKE_PREVIOUS)."
  type        = bool
  default     = false
}

variable "force_min_interval" {
  description = "Minimum seconds between two forced rotations, across instances (ROTATION_FORCE_MIN_INTERVAL); 0 turns the limit off."
  type        = number
  default     = 60

  validation {
    condition     = var.force_min_interval >= 0 && var.force_min_interval <= 86400 && floor(var.force_min_interval) == var.force_min_interval
    error_message = "The force_min_interval must be a whole number of seconds between 0 and 86400."
  }
}

variable "rotation_targets" {
  description = "More secrets to rotate, a JSON array (ROTATION_TARGETS, see the README); empty rotates only the default secret."
  type        = string
  default     = ""

  validation {
    condition     = var.rotation_targets == "" || can(tolist(jsondecode(var.rotation_targets)))
    error_message = "The rotation_targets must be empty or a JSON array of targets."
  }
}

variable "lock_container" {
  description = "Blob container of the rotation lease (ROTATION_LOCK_CONTAINER)."
  type        = string
  default     = "frogbridge-locks"
}

variable "artifactory_host" {
  description = "Artifactory host name without scheme (ARTIFACTORY_HOST)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+(:[0-9]+)?$", var.artifactory_host))
    error_message = "The artifactory_host must be a host name (optionally with a port), without scheme or path."
  }
}

variable "docker_repo" {
  description = "Artifactory Docker repository of the trainer image (ARTIFACTORY_DOCKER_REPO)."
  type        = string
}

variable "trainer_image_name" {
  description = "Trainer image name (TRAINER_IMAGE_NAME)."
  type        = string
  default     = "azureml-training"
}

variable "trainer_image_tag" {
  description = "Trainer image tag used when a request names none (TRAINER_IMAGE_TAG)."
  type        = string
  default     = "latest"
}

variable "ml_repo" {
  description = "Artifactory Machine Learning repository (ARTIFACTORY_ML_REPO)."
  type        = string
}

variable "model_name" {
  description = "Model name used when a request names none (MODEL_NAME)."
  type        = string
  default     = "iris-classifier"
}

variable "experiment_name" {
  description = "AzureML experiment used when a request names none (EXPERIMENT_NAME)."
  type        = string
  default     = "frogbridge"
}

variable "connection_name" {
  description = "AzureML workspace connection that holds the registry credentials (AZUREML_CONNECTION_NAME)."
  type        = string
  default     = "artifactory-registry"
}

variable "connection_category" {
  description = "Category of that connection (AZUREML_CONNECTION_CATEGORY): GenericContainerRegistry, which Microsoft documents for registries used by image builds, or ContainerRegistry, for registries jobs pull their images from."
  type        = string
  default     = "GenericContainerRegistry"

  validation {
    condition     = contains(["GenericContainerRegistry", "ContainerRegistry"], var.connection_category)
    error_message = "connection_category must be GenericContainerRegistry or ContainerRegistry."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "auth_mode" {
  description = "How callers of the HTTP functions authenticate (AUTH_MODE): keys, entra or both."
  type        = string
  default     = "keys"

  validation {
    condition     = contains(["keys", "entra", "both"], var.auth_mode)
    error_message = "auth_mode is keys, entra or both."
  }
}

variable "auth_tenant_id" {
  description = "Entra ID tenant of the callers' tokens (AUTH_TENANT_ID)."
  type        = string
}

variable "auth_audience" {
  description = "Client ID of the HTTP API's app registration (AUTH_AUDIENCE); empty in keys mode without one."
  type        = string
  default     = ""
}

variable "auth_accept_v1_issuer" {
  description = "Also accept v1 tokens (AUTH_ACCEPT_V1_ISSUER); the API registration issues v2 tokens."
  type        = bool
  default     = false
}

variable "auth_authority_host" {
  description = "Entra ID authority of the callers' tokens (AUTH_AUTHORITY_HOST)."
  type        = string
  default     = "https://login.microsoftonline.com"
}

variable "auth_function_key_secret_names" {
  description = "Key Vault secrets of the function keys accepted in both mode (AUTH_FUNCTION_KEY_SECRETS), as the host names them."
  type        = string
  default     = "host--functionKey--default,host--masterKey--master"
}
