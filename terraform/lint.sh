#!/usr/bin/env bash
# lint.sh runs tflint over the terraform root and every module with the
# bundled terraform ruleset in its recommended preset (.tflint.hcl). No plugin
# is downloaded; tflint itself is built from the Go module proxy or the local
# module cache, pinned to one version.
#
# Usage: terraform/lint.sh [extra tflint flags]
set -euo pipefail

TFLINT_VERSION="${TFLINT_VERSION:-v0.64.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# --chdir makes tflint read terraform/.tflint.hcl; --recursive walks the
# modules, which find the same file through --config.
exec go run "github.com/terraform-linters/tflint@${TFLINT_VERSION}" \
  --chdir terraform --recursive --config "$root/terraform/.tflint.hcl" "$@"
