#!/usr/bin/env bash
# Prove the Containerfile without a Docker engine: build it with podman against a local Debian
# bookworm base (made with mmdebstrap, cached), then run the image once, the way Kubernetes will
# (read-only root filesystem, /tmp as tmpfs, uid 10001, no capabilities), and check that the gateway
# answers /healthz with 200 and /readyz with 503 while its database is unreachable.
#
# Idempotent: the base tarball and image are cached under $CACHE_DIR; rerunning only rebuilds the
# layers that changed. Needs root for apt-get and for podman (chroot isolation). Usage:
#   scripts/image-check.sh            (or `make image-check`)
# Environment: CACHE_DIR, IMAGE (tag to build), CA_BUNDLE (build secret for TLS-intercepting networks).
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE_DIR=${CACHE_DIR:-/var/cache/abcodex-image-check}
IMAGE=${IMAGE:-localhost/abcodex:image-check}
BASE_IMAGE=localhost/abcodex-base/python3:bookworm
BASE_TAR="$CACHE_DIR/bookworm-python3.tar"
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
CONTAINER=abcodex-image-check-$$
STARTED=$SECONDS

say() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - STARTED))"; }
fail() { printf '\nimage-check FAILED: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    fail "run as root (apt-get and podman's chroot isolation need it); on a laptop use 'make image' instead"
fi

say "tools"
missing=()
for tool in podman mmdebstrap runc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        podman mmdebstrap runc uidmap netavark containernetworking-plugins >/dev/null
fi
podman --version

# podman's defaults assume systemd and a container-friendly kernel; this config works on plain
# Debian hosts, in CI containers and on developer machines alike.
mkdir -p "$CACHE_DIR"
export CONTAINERS_CONF="$CACHE_DIR/containers.conf"
cat > "$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

say "base image $BASE_IMAGE"
if ! podman image exists "$BASE_IMAGE"; then
    if [ ! -s "$BASE_TAR" ]; then
        mmdebstrap --quiet --variant=apt --format=tar \
            --include=python3,python3-venv,ca-certificates bookworm "$BASE_TAR.partial"
        mv "$BASE_TAR.partial" "$BASE_TAR"
    fi
    podman import --quiet "$BASE_TAR" "$BASE_IMAGE" >/dev/null
fi

say "build $IMAGE"
build_args=(--isolation chroot --file Containerfile --build-arg "BASE=$BASE_IMAGE" --tag "$IMAGE")
if [ -s "$CA_BUNDLE" ]; then
    build_args+=(--secret "id=cacert,src=$CA_BUNDLE")
fi
podman build "${build_args[@]}" . || fail "podman build"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1024 / 1024)) MiB"

say "image contents"
run() { podman run --rm --network none --read-only --tmpfs /tmp --cap-drop ALL \
    --security-opt no-new-privileges "$IMAGE" "$@"; }
[ "$(run id -u)" = 10001 ] || fail "the image does not run as uid 10001"
run sh -c '! command -v uv && ! test -e /opt/uv && ! test -e /root/.cache/uv' \
    || fail "build tools or caches leaked into the final stage"
run sh -c 'test -x /app/.venv/bin/abcodex-gateway && test -x /app/.venv/bin/abcodex-slackbot' \
    || fail "a console script is missing"
run abcodex-gateway --help >/dev/null || fail "abcodex-gateway --help"
# The bot has no --help: started with no settings it must refuse, naming the missing variable.
if bot_output=$(run abcodex-slackbot 2>&1); then fail "abcodex-slackbot started without any settings"; fi
grep -q MCP_GATEWAY_AUTH_TOKEN <<<"$bot_output" || fail "abcodex-slackbot: $bot_output"
echo "abcodex-slackbot without settings: ${bot_output}"

say "run the gateway (default command) with an unreachable database"
cleanup() { podman rm --force --ignore "$CONTAINER" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# No network but the container's own loopback: the probes below run inside it with podman exec,
# so the default MCP_GATEWAY_HOST=0.0.0.0 is what is tested and nothing listens on the host.
podman run --detach --name "$CONTAINER" --network none --read-only --tmpfs /tmp \
    --cap-drop ALL --security-opt no-new-privileges \
    --env DATABASE_URL=postgresql://nobody@127.0.0.1:1/none \
    --env MCP_GATEWAY_AUTH_TOKEN=image-check-token-not-a-secret \
    "$IMAGE" >/dev/null
probe='
import sys, time, urllib.error, urllib.request
def status(path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:8081" + path, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
deadline = time.monotonic() + 60
while True:
    try:
        healthz = status("/healthz")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("gateway did not start listening within 60 s")
        time.sleep(0.25)
readyz = status("/readyz")
print("/healthz ->", *healthz)
print("/readyz  ->", *readyz)
sys.exit(0 if healthz[0] == 200 and readyz[0] == 503 else 1)
'
if ! podman exec "$CONTAINER" python3 -c "$probe"; then
    podman logs "$CONTAINER" 2>&1 | tail -n 40
    fail "expected /healthz 200 and /readyz 503"
fi
podman stop --time 15 "$CONTAINER" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")
[ "$code" = 0 ] || { podman logs "$CONTAINER" 2>&1 | tail -n 20; fail "gateway exited $code on SIGTERM"; }
echo "SIGTERM: exit 0"

# Keep the cache bounded: drop untagged images of earlier runs (this run's stay as build cache).
podman image prune --force --filter until=30m >/dev/null || true

say "image-check passed: $IMAGE"
