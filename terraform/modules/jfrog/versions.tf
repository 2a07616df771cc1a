terraform {
  required_version = ">= 1.9"

  required_providers {
    # JFrog's own provider; platform_oidc_configuration and
    # platform_oidc_identity_mapping (examples/resources in
    # jfrog/terraform-provider-platform).
    platform = {
      source  = "jfrog/platform"
      version = "~> 2.2"
    }
  }
}
