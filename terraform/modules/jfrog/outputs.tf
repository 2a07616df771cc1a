output "provider_name" {
  description = "Name of the OIDC integration."
  value       = platform_oidc_configuration.this.name
}

output "issuer" {
  description = "Token issuer the integration trusts."
  value       = local.issuer
}

output "identity_mapping_name" {
  description = "Name of the identity mapping."
  value       = platform_oidc_identity_mapping.this.name
}
