// Package infra holds the offline validation of the infrastructure as code
// and the images: the terraform root and modules under terraform/, the
// trainer image under docker/, and the deploy script under deploy/.
//
// The package has no code of its own; its tests parse the HCL with
// hashicorp/hcl/v2 and the Dockerfile with moby/buildkit's parser, and check
// formatting (as terraform fmt wants it), the app-setting wiring against
// internal/config.Settings and the README, the role assignments, secret
// variables, the rotation schedule terraform computes, and the image's
// credential handling. They need no cloud, no provider download and no
// Docker daemon.
package infra
