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
  description = "Resource group that holds the suite."
  type        = string
}

variable "create_resource_group" {
  description = "Create the resource group; false uses an existing one of that name."
  type        = bool
  default     = true
}

variable "vnet_address_space" {
  description = "Address space of the virtual network."
  type        = list(string)
  default     = ["10.40.0.0/16"]
}

variable "functions_subnet_prefix" {
  description = "Prefix of the subnet delegated to the Flex Consumption function app (Microsoft.App/environments)."
  type        = string
  default     = "10.40.1.0/24"
}

variable "compute_subnet_prefix" {
  description = "Prefix of the subnet of the AzureML compute cluster."
  type        = string
  default     = "10.40.2.0/24"
}

variable "private_endpoint_subnet_prefix" {
  description = "Prefix of the subnet that holds private endpoints."
  type        = string
  default     = "10.40.3.0/24"
}

variable "deployer_ip_ranges" {
  description = "Public CIDR ranges of the operators and CI runners allowed through the Key Vault firewall."
  type        = list(string)
  default     = []
}

variable "workspace_private_endpoint_enabled" {
  description = "Reach the AzureML workspace through a private endpoint and disable its public network access."
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

  validation {
    condition     = var.compute_max_nodes >= 1
    error_message = "The compute_max_nodes must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
