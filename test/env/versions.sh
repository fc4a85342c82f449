# Pinned versions of the real components the tests run, and where their binaries are cached.
# Bumping a version here makes the next `npm run testenv:setup` build it into a new cache slot.
KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.7.0
HELM_VERSION=v3.21.4
# Prometheus with Kubernetes service discovery (Debian's package has none); Go module versions
# of Prometheus 3.x are v0.3XX.Y.
PROMETHEUS_VERSION=v3.15.0
PROMETHEUS_MODULE_VERSION=v0.315.0
GOPROXY_URL="${GOPROXY_URL:-https://proxy.golang.org}"
SLUICE_CACHE_DIR="${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
SLUICE_BIN_DIR="$SLUICE_CACHE_DIR/bin"
