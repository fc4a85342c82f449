#!/usr/bin/env bash
# Installs or builds every real component the integration tests and the playground run:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, helm (built from
# their Go modules into a cache outside the repository, keyed by version) and Prometheus,
# nginx, wrk and lua5.1 (Debian packages). Idempotent: a component already in the cache is
# not rebuilt, so a second run takes seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$here/versions.sh"

export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -mod=mod"
mkdir -p "$SLUICE_BIN_DIR"

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# build_from_module NAME VERSION MODULE@VERSION LDFLAGS PACKAGE...
# Builds main packages of a published module through a throw-away wrapper module. A wrapper
# (rather than `go install pkg@version`) is what lets us replace Kubernetes' staging modules
# with their published versions and ignore the replace directives etcd keeps for its repo.
build_from_module() {
  local name="$1" version="$2" module="$3" ldflags="$4"
  shift 4
  local out="$SLUICE_BIN_DIR/$name-$version"
  if [[ -f "$out/.complete" ]]; then
    log "$name $version: cached in $out"
    return
  fi
  local started=$SECONDS
  log "$name $version: building $* (first time only; several minutes on 2 cores)"
  local work
  work="$(mktemp -d)"
  (
    cd "$work"
    printf 'module sluice.dev/testenv/%s\n\ngo 1.25.0\n' "$name" >go.mod
    if [[ -n "${WRAPPER_EXTRA_GOMOD:-}" ]]; then printf '%s\n' "$WRAPPER_EXTRA_GOMOD" >>go.mod; fi
    set -o pipefail
    # go get resolves the full dependency graph of the packages we are about to build.
    go get "$@" 2>&1 | { grep -v '^go: added' || true; }
    local packages=()
    for spec in "$@"; do packages+=("${spec%@*}"); done
    mkdir -p "$out.partial"
    go build -trimpath -tags "${GO_BUILD_TAGS:-}" -ldflags "-s -w $ldflags" -o "$out.partial/" "${packages[@]}"
  )
  rm -rf "$work" "$out"
  mv "$out.partial" "$out"
  touch "$out/.complete"
  log "$name $version: built in $((SECONDS - started))s -> $out"
}

kubernetes_replaces() {
  # Kubernetes' go.mod points every staging module (k8s.io/api, k8s.io/apiserver, ...) at
  # ./staging; outside its repository each must come from its published v0.X.Y instead.
  local staging_version="v0.${KUBERNETES_VERSION#v1.}"
  curl -fsSL "${GOPROXY_URL}/k8s.io/kubernetes/@v/${KUBERNETES_VERSION}.mod" |
    awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "replace %s => %s %s\n", $1, $1, v }'
}

build_kubernetes() {
  local major minor
  major="${KUBERNETES_VERSION#v}"; major="${major%%.*}"
  minor="${KUBERNETES_VERSION#v*.}"; minor="${minor%%.*}"
  local date
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  WRAPPER_EXTRA_GOMOD="$(printf 'godebug default=go1.25\n\n%s' "$(kubernetes_replaces)")" \
    build_from_module kubernetes "$KUBERNETES_VERSION" "k8s.io/kubernetes@$KUBERNETES_VERSION" "$ldflags" \
    "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@$KUBERNETES_VERSION"
}

build_etcd() {
  local ldflags="-X go.etcd.io/etcd/api/v3/version.GitSHA=release-$ETCD_VERSION"
  build_from_module etcd "$ETCD_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "$ldflags" \
    "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  # The package is named after its module directory; give it the name everyone expects.
  local dir="$SLUICE_BIN_DIR/etcd-$ETCD_VERSION"
  if [[ -f "$dir/v3" && ! -f "$dir/etcd" ]]; then mv "$dir/v3" "$dir/etcd"; fi
  if [[ -f "$dir/server" && ! -f "$dir/etcd" ]]; then mv "$dir/server" "$dir/etcd"; fi
}

build_kwok() {
  local ldflags="-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
  build_from_module kwok "$KWOK_VERSION" "sigs.k8s.io/kwok@$KWOK_VERSION" "$ldflags" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

build_helm() {
  local ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  build_from_module helm "$HELM_VERSION" "helm.sh/helm/v3@$HELM_VERSION" "$ldflags" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

build_prometheus() {
  # Debian's prometheus has no Kubernetes service discovery (removed for its dependencies); the
  # e2e suite and the playground scrape the waypoints through it, so build Prometheus with
  # that discovery only (file and HTTP discovery are always in).
  local v="${PROMETHEUS_VERSION#v}"
  local ldflags="-X github.com/prometheus/common/version.Version=$v -X github.com/prometheus/common/version.Branch=release-${v%.*}"
  GO_BUILD_TAGS="remove_all_sd,enable_kubernetes_sd" \
    build_from_module prometheus "$PROMETHEUS_VERSION" "github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION" "$ldflags" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION"
}

install_debian_packages() {
  local missing=()
  command -v prometheus >/dev/null || missing+=(prometheus)
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v lua5.1 >/dev/null || missing+=(lua5.1)
  if ((${#missing[@]} == 0)); then
    log "debian packages: present"
    return
  fi
  log "debian packages: installing ${missing[*]}"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  # The packages start system services on install where an init system runs; the harness
  # starts its own instances, so keep policy-rc.d from starting them.
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

main() {
  local started=$SECONDS
  local only="${1:-all}"
  case "$only" in
    debian) install_debian_packages ;;
    go)
      build_etcd; build_kwok; build_helm; build_kubernetes; build_prometheus ;;
    all)
      install_debian_packages
      build_etcd; build_kwok; build_helm; build_kubernetes; build_prometheus ;;
    *) echo "usage: $0 [all|debian|go]" >&2; exit 2 ;;
  esac
  log "test environment ready in $((SECONDS - started))s (binaries in $SLUICE_BIN_DIR)"
}

main "$@"
