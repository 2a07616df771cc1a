#!/usr/bin/env bash
# deploy.sh deploys the function app package and runs the token rotation once,
# so Key Vault holds a fresh JFrog token right after the deploy.
#
#   1. reads the function app, resource group and vault from
#      `terraform output -json` (terraform/ by default);
#   2. deploys dist/functionapp.zip (made by `make package`) with
#      `az functionapp deploy --type zip` (OneDeploy: Flex Consumption rejects
#      the older zipdeploy API);
#   3. fetches the master key with `az functionapp keys list` and invokes
#      KeyVaultSecretRotation once through POST /admin/functions/...;
#   4. reports what it did, including the current version of the token secret
#      when the caller may read its metadata (Key Vault Reader).
#
# Usage: deploy/deploy.sh [--package FILE] [--tf-dir DIR] [--no-rotate] [--wait SECONDS]
# Needs: az (logged in), terraform, curl. Never prints a key or a token.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
package="$root/dist/functionapp.zip"
tf_dir="$root/terraform"
rotate=1
wait_seconds=120
function_name="KeyVaultSecretRotation"

fail() { echo "deploy: $*" >&2; exit 1; }
say() { echo "deploy: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --package) package="${2:?--package needs a file}"; shift 2 ;;
    --tf-dir) tf_dir="${2:?--tf-dir needs a directory}"; shift 2 ;;
    --no-rotate) rotate=0; shift ;;
    --wait) wait_seconds="${2:?--wait needs seconds}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deploy: unknown argument $1" >&2; exit 2 ;;
  esac
done

for tool in az terraform curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH"
done
[ -f "$package" ] || fail "package $package not found: run 'make package' first"

# tf_out NAME prints the string output NAME of the terraform root.
outputs="$(terraform -chdir="$tf_dir" output -json)" || fail "terraform output failed in $tf_dir: run 'terraform apply' first"
tf_out() {
  local value
  value="$(printf '%s' "$outputs" | tr -d '\n' |
    sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*{[^}]*\"value\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p")"
  [ -n "$value" ] || fail "terraform output $1 is missing or empty in $tf_dir"
  printf '%s' "$value"
}

app="$(tf_out function_app_name)"
group="$(tf_out resource_group_name)"
host="$(tf_out function_app_hostname)"
vault="$(tf_out key_vault_name)"
say "function app $app in $group ($host)"

say "deploying $package (OneDeploy, zip)"
az functionapp deploy --resource-group "$group" --name "$app" --src-path "$package" --type zip --only-show-errors >/dev/null ||
  fail "az functionapp deploy failed: check that your IP is in deployer_ip_ranges (SCM site) and that you may deploy to $app"
say "deployed"

if [ "$rotate" -eq 0 ]; then
  say "rotation skipped (--no-rotate)"
  exit 0
fi

secret_version() {
  az keyvault secret list-versions --vault-name "$vault" --name "$1" \
    --query "sort_by([?attributes.enabled], &attributes.created)[-1].id" -o tsv --only-show-errors 2>/dev/null || true
}
secret_name="artifactory-access-token-secret"
if settings="$(az functionapp config appsettings list --resource-group "$group" --name "$app" \
  --query "[?name=='ARTIFACTORY_TOKEN_SECRET_NAME'].value" -o tsv --only-show-errors 2>/dev/null)" && [ -n "$settings" ]; then
  secret_name="$settings"
fi
before="$(secret_version "$secret_name")"

# The master key goes to curl through a private header file, never through
# the command line or the output.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
key="$(az functionapp keys list --resource-group "$group" --name "$app" --query masterKey -o tsv --only-show-errors)" ||
  fail "az functionapp keys list failed: the caller needs Microsoft.Web/sites/host/listkeys/action on $app"
[ -n "$key" ] || fail "no master key returned for $app"
printf 'x-functions-key: %s\n' "$key" >"$tmp/headers"
unset key

say "invoking $function_name once through the admin endpoint"
status="$(curl --silent --show-error --output "$tmp/body" --write-out '%{http_code}' \
  --request POST "https://$host/admin/functions/$function_name" \
  --header @"$tmp/headers" --header 'Content-Type: application/json' \
  --data '{"input":"deploy"}')" || fail "POST /admin/functions/$function_name failed"
case "$status" in
  202) say "rotation accepted (HTTP 202)" ;;
  404) fail "function $function_name not found (HTTP 404): is the package's $function_name/function.json deployed?" ;;
  401|403) fail "admin endpoint refused the master key (HTTP $status)" ;;
  *) fail "admin endpoint answered HTTP $status" ;;
esac

if ! az keyvault secret list --vault-name "$vault" -o none --only-show-errors 2>/dev/null; then
  say "cannot read secret metadata in $vault (needs Key Vault Reader and your IP in deployer_ip_ranges); not waiting for the new version"
  exit 0
fi
deadline=$(( $(date +%s) + wait_seconds ))
while :; do
  after="$(secret_version "$secret_name")"
  if [ -n "$after" ] && [ "$after" != "$before" ]; then
    say "Key Vault $vault holds a new version of $secret_name: ${after##*/}"
    exit 0
  fi
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 5
done
if [ -n "$before" ]; then
  say "no new version of $secret_name after ${wait_seconds}s; $vault still holds ${before##*/} (the rotation keeps a token that is still fresh; see the function's logs in Application Insights)"
  exit 0
fi
fail "Key Vault $vault holds no $secret_name after ${wait_seconds}s: check the function's logs in Application Insights and the JFrog identity mapping"
