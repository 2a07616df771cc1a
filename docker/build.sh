#!/usr/bin/env bash
# build.sh builds the trainer image with BuildKit, tags it
# {ARTIFACTORY_HOST}/{ARTIFACTORY_DOCKER_REPO}/azureml-training:{tag} and
# pushes it. The Artifactory credential for the Go remote is a netrc file the
# caller names; it is mounted as a BuildKit secret and never enters a layer,
# a build argument or the environment of the build.
#
# Usage:
#   docker/build.sh --netrc FILE [--tag TAG] [--no-push]
#
# Environment:
#   ARTIFACTORY_HOST         registry host, e.g. mycompany.jfrog.io (required)
#   ARTIFACTORY_DOCKER_REPO  Docker repository to push to (required)
#   GOPROXY_URL              Artifactory Go remote, e.g.
#                            https://mycompany.jfrog.io/artifactory/api/go/go-remote (required)
#   GO_IMAGE, BASE_IMAGE     builder and runtime images (default: library images
#                            through ${ARTIFACTORY_HOST}/docker-remote)
#   TRAINER_IMAGE_NAME       image name (default azureml-training)
#
# The netrc file holds one line:
#   machine mycompany.jfrog.io login USER password ACCESS_TOKEN
# Log in to the registry first: docker login "$ARTIFACTORY_HOST".
set -euo pipefail

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

netrc=""
tag=""
push=1
while [ $# -gt 0 ]; do
  case "$1" in
    --netrc) netrc="${2:-}"; shift 2 ;;
    --tag) tag="${2:-}"; shift 2 ;;
    --no-push) push=0; shift ;;
    -h|--help) usage ;;
    *) echo "build.sh: unknown argument $1" >&2; usage ;;
  esac
done

fail() { echo "build.sh: $*" >&2; exit 2; }

[ -n "$netrc" ] || fail "--netrc FILE is required (netrc with the Artifactory credential for GOPROXY_URL)"
[ -r "$netrc" ] || fail "cannot read netrc file $netrc"
: "${ARTIFACTORY_HOST:?set ARTIFACTORY_HOST to the registry host, e.g. mycompany.jfrog.io}"
: "${ARTIFACTORY_DOCKER_REPO:?set ARTIFACTORY_DOCKER_REPO to the Docker repository to push to}"
: "${GOPROXY_URL:?set GOPROXY_URL to the Artifactory Go remote URL}"
case "$ARTIFACTORY_HOST" in
  *://*|*/*) fail "ARTIFACTORY_HOST must be a host name without scheme or path, got $ARTIFACTORY_HOST" ;;
esac
case "$GOPROXY_URL" in
  *@*) fail "GOPROXY_URL must not carry credentials; put them in the netrc file" ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
version="$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)"
tag="${tag:-$version}"
name="${TRAINER_IMAGE_NAME:-azureml-training}"
image="${ARTIFACTORY_HOST}/${ARTIFACTORY_DOCKER_REPO}/${name}:${tag}"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

args=(
  build
  --file "$root/docker/Dockerfile"
  --secret "id=goproxy-netrc,src=$netrc"
  --build-arg "GO_IMAGE=${GO_IMAGE:-${ARTIFACTORY_HOST}/docker-remote/library/golang:1.26-bookworm}"
  --build-arg "BASE_IMAGE=${BASE_IMAGE:-${ARTIFACTORY_HOST}/docker-remote/library/debian:bookworm-slim}"
  --build-arg "GOPROXY_URL=$GOPROXY_URL"
  --build-arg "VERSION=$version"
  --build-arg "COMMIT=$commit"
  --build-arg "CREATED=$created"
  --tag "$image"
)
if [ "$push" -eq 1 ]; then
  args+=(--push)
else
  args+=(--load)
fi

echo "build.sh: building $image (version $version, commit $commit)"
DOCKER_BUILDKIT=1 docker buildx "${args[@]}" "$root"
if [ "$push" -eq 1 ]; then
  echo "build.sh: pushed $image"
else
  echo "build.sh: built $image (not pushed)"
fi
