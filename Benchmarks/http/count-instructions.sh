#!/usr/bin/env bash
# `make bench-instructions`: instructions per balance read and per transfer, counted by valgrind's callgrind, which
# (unlike requests/s or CPU time on a shared VM) do not drift from run to run. Each server answers N keep-alive
# requests (curl, one connection, every answer a 200), counted from the first to the last of them only
# (`--instr-atstart=no`, then `callgrind_control -i on/off`), start-up and a warm-up pass of N excluded:
#   the bare libmicrohttpd handler in C (bare-handler.c, compiled here),
#   the Swift bare handler (`walletbridge-bench http-bare`: our HTTPServer with a constant answer),
#   `walletbridge serve --demo`: GET /wallets/getOne with the `key` header,
#   `walletbridge serve --demo`: small signed transfers (PATCH /wallets/balance, unique order ids), one after another,
#     so each commits alone: its count holds a whole COMMIT, which under load a group shares.
# Each is printed in all and without libmicrohttpd's memset of the connection's memory pool between requests (the
# same in all of them, and cheap per instruction), user space only (callgrind does not see the kernel or the flush).
#
# Usage: Benchmarks/http/count-instructions.sh [BIN_DIR]   (default .build/release; `make bench-instructions` builds)
# Environment: REQUESTS (default 2000), CC (default cc), KEEP=1 (keeps the callgrind files, for callgrind_annotate).
# Valgrind cannot read the release build's debug information, so each binary is counted from a copy without it
# (`strip --strip-debug`); symbols stay.
set -euo pipefail

bin_dir=${1:-.build/release}
requests=${REQUESTS:-2000}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cc=${CC:-cc}
for tool in valgrind callgrind_control callgrind_annotate curl strip pkg-config "$cc" \
    "$bin_dir/walletbridge" "$bin_dir/walletbridge-bench"; do
    command -v "$tool" >/dev/null || { echo "count-instructions: $tool not found (make bench-instructions installs and builds it)" >&2; exit 1; }
done
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "count-instructions: REQUESTS must be a positive whole number" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/walletbridge-count-instructions.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$cc" -O2 -o "$work/bare-handler" "$script_dir/bare-handler.c" $(pkg-config --cflags --libs libmicrohttpd)
strip --strip-debug -o "$work/walletbridge" "$bin_dir/walletbridge"
strip --strip-debug -o "$work/walletbridge-bench" "$bin_dir/walletbridge-bench"

# count NAME PATH_AND_QUERY KIND -- COMMAND...: starts COMMAND under callgrind (it must print a JSON ready line naming
# "listening" on stdout), sends REQUESTS requests of KIND (none: plain GETs; key: GETs with the API key from the ready
# line; transfers: signed PATCHes), and prints NAME with instructions per request.
count() {
    local name=$1 target=$2 header=$3
    shift 4
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/$name.%p" "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    local url=
    for _ in $(seq 1 600); do
        url=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$work/$name.out" 2>/dev/null | head -n 1)
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || { echo "count-instructions: $name exited; its stderr:" >&2; tail -n 20 "$work/$name.err" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$url" ] || { echo "count-instructions: $name was not ready within 60 s" >&2; exit 1; }
    case "$url" in http://*) ;; *) url="http://$url" ;; esac
    local key=
    [ "$header" = none ] || key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$work/$name.out" | head -n 1)
    if [ "$header" = transfers ]; then
        # Signed transfers with unique order ids (each a new transfer, none a replay): one set to warm up, one counted.
        "$work/walletbridge-bench" http-requests --count $((2 * requests)) --api-key "$key" --prefix "count-$RANDOM" \
            >"$work/transfers.tsv"
        transfer_config 1 "$requests" "$url$target" "$key" >"$work/warm.cfg"
        transfer_config $((requests + 1)) $((2 * requests)) "$url$target" "$key" >"$work/curl.cfg"
        key=
    else
        local i
        for i in $(seq 1 "$requests"); do printf 'url = "%s%s"\noutput = /dev/null\n' "$url" "$target"; done >"$work/curl.cfg"
        cp "$work/curl.cfg" "$work/warm.cfg"
    fi
    # One warm-up pass (caches filled, lazy set-up done), then the counted one; every answer must be a 200.
    send_all "$name" warm-up "$work/warm.cfg" "$key"
    callgrind_control -i on "$server_pid" >/dev/null 2>&1
    send_all "$name" counted "$work/curl.cfg" "$key"
    callgrind_control -i off "$server_pid" >/dev/null 2>&1
    callgrind_control -d "$server_pid" >/dev/null 2>&1
    # The counted requests are in the dump just asked for (NAME.PID.1); the file written at exit holds the rest.
    local file="$work/$name.$server_pid.1" total memset
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    [ -s "$file" ] || { echo "count-instructions: $name: callgrind wrote no dump" >&2; exit 1; }
    total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    memset=$(callgrind_annotate "$file" 2>/dev/null | awk '/__memset/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')
    printf '%-40s %12d %16d\n' "$name" $((total / requests)) $(((total - memset) / requests))
}

# send_all NAME PASS CONFIG KEY: sends every request of the curl CONFIG (with the `key` header when KEY is set) and
# fails unless each was answered 200.
send_all() {
    curl -s ${4:+-H "key: $4"} -K "$3" -w '%{http_code}\n' >"$work/codes" || true
    if grep -qv '^200$' "$work/codes"; then echo "count-instructions: $1: a $2 request was not answered 200" >&2; exit 1; fi
}

# transfer_config FROM TO URL KEY: a curl config sending lines FROM..TO of transfers.tsv (`BODY<TAB>SIGNATURE`, from
# `walletbridge-bench http-requests`) as PATCH requests, one after another on one connection.
transfer_config() {
    awk -F '\t' -v from="$1" -v to="$2" -v url="$3" -v key="$4" 'NR >= from && NR <= to {
        gsub(/\\/, "\\\\", $1); gsub(/"/, "\\\"", $1)
        if (NR > from) print "next"
        printf "url = \"%s\"\nrequest = \"PATCH\"\nheader = \"key: %s\"\nheader = \"signature: %s\"\n", url, key, $2
        printf "header = \"Content-Type: application/json\"\ndata-raw = \"%s\"\noutput = /dev/null\n", $1
    }' "$work/transfers.tsv"
}

printf 'Instructions per request (callgrind, %d keep-alive requests on one connection, user space)\n\n' "$requests"
printf '%-40s %12s %16s\n' "" "in all" "without memset"
read_path="/wallets/getOne?external_user_id=demo-alice&currency=USD"
count "bare libmicrohttpd handler, C" "$read_path" none -- "$work/bare-handler" 0 4
count "bare libmicrohttpd handler, Swift" "$read_path" none -- "$work/walletbridge-bench" http-bare --port 0
count "balance reads (GET getOne)" "$read_path" key -- \
    "$work/walletbridge" serve --demo --db "$work/demo.sqlite" --listen "127.0.0.1:$((20000 + RANDOM % 30000))"
count "transfers, one a commit (PATCH balance)" /wallets/balance transfers -- \
    "$work/walletbridge" serve --demo --db "$work/transfers.sqlite" --listen "127.0.0.1:$((20000 + RANDOM % 30000))"
