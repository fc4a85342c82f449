# Pinned versions of the real components the tests run, and where their binaries are cached.
# Bumping a version here makes the next `npm run testenv:setup` build it into a new cache slot.
KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.7.0
HELM_VERSION=v3.21.4
GOPROXY_URL="${GOPROXY_URL:-https://proxy.golang.org}"
SLUICE_CACHE_DIR="${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
SLUICE_BIN_DIR="$SLUICE_CACHE_DIR/bin"
