#!/usr/bin/env bash
# Entrypoint of the zeroshard image: one image runs as coordinator, worker or operator.
#
#   entrypoint.sh coordinator|worker|operator [ARGS...]   run bin/zeroshard ROLE [defaults] ARGS
#   entrypoint.sh --help|help|--version|version           the CLI's help or version
#
# Defaults the pod's environment supplies when ARGS do not name them (ARGS always win):
#   coordinator, worker: --host "$POD_IP" (the address other pods reach; the CLI's default is 127.0.0.1)
#   coordinator:         --http-host 0.0.0.0 (the Service and the kubelet's probes reach the REST API; the
#                        coordinator then insists on a bearer token, --auth-token-file or ZEROSHARD_AUTH_TOKEN)
# Environment: ZEROSHARD_HOME (default /opt/zeroshard), ZEROSHARD_CONTAINER_JAVA_OPTS (the image's JVM
# options, put before ZEROSHARD_JAVA_OPTS so that a user's own options win), ZEROSHARD_SKIP_BUILD (default
# 1: an image holds no sources to build). The JVM flags every zeroshard JVM needs stay in etc/jvm.properties,
# which bin/zeroshard reads.
set -euo pipefail

readonly EX_USAGE=64
readonly roles="coordinator, worker, operator"
home="${ZEROSHARD_HOME:-/opt/zeroshard}"
launcher="$home/bin/zeroshard"

usage_error() {
  echo "zeroshard entrypoint: $1" >&2
  echo "usage: entrypoint.sh ROLE [ARGS...] with ROLE one of: $roles (or --help, --version)" >&2
  exit "$EX_USAGE"
}

if [[ ! -x "$launcher" ]]; then
  echo "zeroshard entrypoint: no launcher at $launcher (ZEROSHARD_HOME=$home)" >&2
  exit 1
fi

export ZEROSHARD_SKIP_BUILD="${ZEROSHARD_SKIP_BUILD:-1}"
if [[ -n "${ZEROSHARD_CONTAINER_JAVA_OPTS:-}" ]]; then
  export ZEROSHARD_JAVA_OPTS="$ZEROSHARD_CONTAINER_JAVA_OPTS${ZEROSHARD_JAVA_OPTS:+ $ZEROSHARD_JAVA_OPTS}"
fi

[[ $# -gt 0 ]] || usage_error "no role given"
role="$1"
shift
case "$role" in
  coordinator | worker | operator) ;;
  -h | --help | help) exec "$launcher" --help ;;
  -V | --version | version) exec "$launcher" --version ;;
  *) usage_error "unknown role '$role'; expected one of: $roles" ;;
esac

# True when ARGS name option $1, as "$1 VALUE" or "$1=VALUE".
has_option() {
  local name="$1" arg
  shift
  for arg in "$@"; do
    [[ "$arg" == "$name" || "$arg" == "$name="* ]] && return 0
  done
  return 1
}

defaults=()
if [[ "$role" == coordinator || "$role" == worker ]]; then
  if [[ -n "${POD_IP:-}" ]] && ! has_option --host "$@"; then
    defaults+=(--host "$POD_IP")
  fi
fi
if [[ "$role" == coordinator ]] && ! has_option --http-host "$@"; then
  defaults+=(--http-host 0.0.0.0)
fi

exec "$launcher" "$role" ${defaults[@]+"${defaults[@]}"} "$@"
