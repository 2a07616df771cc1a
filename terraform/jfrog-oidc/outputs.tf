output "provider_name" {
  description = "Name of the OIDC integration (JFROG_OIDC_PROVIDER_NAME)."
  value       = module.jfrog.provider_name
}

output "issuer" {
  description = "Token issuer the integration trusts."
  value       = module.jfrog.issuer
}

output "identity_mapping_name" {
  description = "Name of the identity mapping."
  value       = module.jfrog.identity_mapping_name
}
