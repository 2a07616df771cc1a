terraform {
  required_version = ">= 1.9"

  required_providers {
    platform = {
      source  = "jfrog/platform"
      version = "~> 2.2"
    }
  }
}

# A null access token makes the provider read JFROG_ACCESS_TOKEN from the
# environment (provider "platform" Configure in jfrog/terraform-provider-platform).
provider "platform" {
  url          = var.jfrog_url
  access_token = var.jfrog_access_token
}
