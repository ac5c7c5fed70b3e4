#!/usr/bin/env bash
# `make bench-http`: HTTP load on loopback with wrk, in one run:
#   0. a bare libmicrohttpd handler in C returning a constant (Benchmarks/http/bare-handler.c, compiled here with cc
#      and pkg-config's libmicrohttpd flags, started the way HTTPServer starts libmicrohttpd: the floor under every row),
#   1. the same in Swift: our HTTPServer with a handler returning a constant (`walletbridge-bench http-bare`, the
#      service's worker threads), and the service's balance reads, the three loaded in turn over ANCHOR_ROUNDS rounds
#      (medians: the reads' ratio to the C handler comes from these),
#   2. `walletbridge serve --demo` on a fresh temporary database: balance reads (GET /wallets/getOne with the `key`
#      header) and small auto-applied transfers (PATCH /wallets/balance, unique order ids, signed; each must be 200),
# then restarts the service on the same database and checks that every 200 transfer is in the balance;
#   3. the same on PostgreSQL (a throwaway server from Debian's postgresql package, started in the run's temporary
#      folder) with one `serve` instance, then with two instances sharing the database and loaded together,
# then the durable floor under the transfers (`walletbridge-bench sql-floor`: the same rows by raw SQL, a commit per
# CONNECTIONS transfers, synchronous=FULL); each with the share of the service's request time spent in the store
# (`walletbridge_store_seconds_total` over `walletbridge_http_request_duration_seconds_sum`, from /metrics). PG=0 leaves PostgreSQL out.
# Prints requests/s and p50/p99 for each, the CPU of each of the service's threads (by name) during the SQLite
# transfers, and the issue's targets. Bounded: about 2 minutes of load (PG=0: 1.5), about
# 3 minutes with PostgreSQL.
#
# Usage: Benchmarks/http/bench-http.sh [BIN_DIR]   (default .build/release; `make bench-http` builds it)
# Environment: DURATION (seconds per wrk run, default 10), THREADS (wrk threads, 2), CONNECTIONS (32),
#   BASELINE (another build's bin directory: both are measured, alternated, side by side), ROUNDS (with BASELINE, 3),
#   ANCHOR_ROUNDS (rounds of the C handler, the Swift one and the reads in turn: 3, or 1 with BASELINE),
#   PROFILE=1 (records the SQLite reads and transfers runs with `perf record` on the service and prints where its CPU
#   time goes, grouped by profile-categories.awk; `make profile-transfers`).
set -euo pipefail

bin_dir=${1:-.build/release}
duration=${DURATION:-10}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
# Unique signed orders written per second of a transfers run: 2.5 times the 10,000/s target. With exactly 10,000 a
# second, a run near the target ran its wrk threads out of orders and so could never show more than 10,000/s.
orders_per_second=25000
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for tool in wrk "$bin_dir/walletbridge" "$bin_dir/walletbridge-bench"; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool not found (make bench-http installs and builds it)" >&2; exit 1; }
done
cc=${CC:-cc}
for tool in "$cc" pkg-config; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool not found (the C bare handler is compiled with it)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/walletbridge-bench-http.XXXXXX")
pids=()

# Stops every server this script started, on success, failure or Ctrl-C, and removes the temporary files.
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: `serve --listen` needs a concrete one (nothing answers on it right now).
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    echo "bench-http: no free loopback port found" >&2
    return 1
}

# wait_ready NAME STDOUT_FILE PID: waits (up to 30 s) for the server's JSON ready line; prints it.
wait_ready() {
    local name=$1 out=$2 pid=$3
    for _ in $(seq 1 300); do
        if [ -s "$out" ] && grep -q '"listening"' "$out"; then head -n 1 "$out"; return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench-http: $name exited before it was ready; its stderr:" >&2
            tail -n 20 "$work/$name.err" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    echo "bench-http: $name was not ready within 30 s" >&2
    return 1
}

# json_field LINE NAME: the string value of NAME in a one-line JSON object (our own ready lines: no escapes).
json_field() { sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$1"; }

# start_service: `serve --demo` on $db at $service_port, in the background; sets service_pid and api_key.
start_service() {
    local label=$1
    "$bin_dir/walletbridge" serve --demo --db "$db" --listen "127.0.0.1:$service_port" \
        >"$work/$label.out" 2>"$work/$label.err" &
    service_pid=$!
    pids+=("$service_pid")
    local ready
    ready=$(wait_ready "$label" "$work/$label.out" "$service_pid")
    api_key=$(json_field "$ready" apiKey)
    [ -n "$api_key" ] || { echo "bench-http: no apiKey in the ready line: $ready" >&2; return 1; }
}

# stop_service: SIGTERM (graceful: requests in flight finish) and wait for the process to exit.
stop_service() {
    kill -TERM "$service_pid"
    wait "$service_pid" || { echo "bench-http: serve exited with status $?" >&2; return 1; }
    local remaining=() pid
    for pid in "${pids[@]}"; do [ "$pid" = "$service_pid" ] || remaining+=("$pid"); done
    pids=("${remaining[@]}")
}

# median: the median of the numbers on standard input, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# to_ms VALUE: wrk's latency text (850.00us, 1.23ms, 1.01s, 2.00m) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; unit = v; sub(/^[0-9.]+/, "", unit)
        if (unit == "us") n /= 1000; else if (unit == "s") n *= 1000; else if (unit == "m") n *= 60000
        printf "%.2f", n }'
}

# store_seconds URL / request_seconds URL: the service's counters from /metrics (summed over their labels).
metric_sum() { curl -s "$1/metrics" | awk -v name="$2" 'index($1, name) == 1 { sum += $2 } END { printf "%.6f", sum }'; }
store_seconds() { metric_sum "$1" walletbridge_store_seconds_total; }
request_seconds() { metric_sum "$1" walletbridge_http_request_duration_seconds_sum; }
# db_share STORE_BEFORE STORE_AFTER REQUEST_BEFORE REQUEST_AFTER: percent of request time spent in the store.
db_share() { awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN { if (d - c > 0) printf "%.0f%%", 100 * (b - a) / (d - c); else print "-" }'; }

# PostgreSQL for the run: initdb and postgres from Debian's postgresql package, in $work/pg, on a free port, as the
# postgres user when this runs as root (PostgreSQL refuses root). Durable settings (fsync, synchronous_commit on).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_pid=""
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
    pg_port=$(free_port)
    chmod 755 "$work"
    mkdir -p "$work/pg/data" "$work/pg/socket"
    [ "$(id -u)" -ne 0 ] || chown -R postgres "$work/pg"
    as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust >"$work/pg/initdb.log" 2>&1 || {
        echo "bench-http: initdb failed:" >&2; cat "$work/pg/initdb.log" >&2; return 1; }
    as_postgres "$pg_bin/postgres" -D "$work/pg/data" -k "$work/pg/socket" -p "$pg_port" -c listen_addresses=127.0.0.1 \
        -c max_connections=200 >"$work/pg/server.log" 2>&1 &
    pg_pid=$!
    for _ in $(seq 1 100); do
        "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && return 0
        sleep 0.1
    done
    echo "bench-http: PostgreSQL did not start:" >&2; cat "$work/pg/server.log" >&2; return 1
}
stop_postgres() {
    [ -n "$pg_pid" ] || return 0
    # pg_pid is runuser's, which does not pass signals on: ask the server itself to stop (fast: no waiting for clients).
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    wait "$pg_pid" 2>/dev/null || true
    pg_pid=""
}
# new_pg_database NAME: a fresh database; prints its URL.
new_pg_database() {
    "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $1" >/dev/null
    echo "postgresql://postgres@127.0.0.1:$pg_port/$1"
}

# cpu_ticks PID: the process's user and system CPU time so far, in clock ticks (/proc/PID/stat, fields 14 and 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# thread_ticks PID: one line per thread of the process, "TID NAME TICKS" (user and system CPU so far; the name as the
# kernel keeps it, 15 bytes, spaces made underscores).
thread_ticks() {
    local task
    for task in /proc/"$1"/task/*; do
        printf '%s %s %s\n' "${task##*/}" "$(tr ' ' _ <"$task/comm")" "$(awk '{ print $14 + $15 }' "$task/stat")"
    done 2>/dev/null
}
# thread_shares BEFORE AFTER SECONDS: the CPU each thread name used between two thread_ticks, in percent of one core,
# largest first ("walletbridge-co 88%, ..."); threads that used under 1% are left out.
thread_shares() {
    awk -v seconds="$3" -v hz="$(getconf CLK_TCK)" '
        NR == FNR { before[$1] = $3; next }
        { used[$2] += $3 - ($1 in before ? before[$1] : 0) }
        END { for (name in used) { share = 100 * used[name] / hz / seconds; if (share >= 1) printf "%s %.0f%%\n", name, share } }' \
        <(printf '%s\n' "$1") <(printf '%s\n' "$2") | sort -k2 -rn | paste -sd, - | sed 's/,/, /g'
}
# cpu_per_request TICKS_BEFORE TICKS_AFTER: the server's CPU microseconds per request of the last wrk run, a figure
# that moves less than requests/s when the VM's speed drifts (wrk's own CPU is not in it).
cpu_per_request() {
    awk -v a="$1" -v b="$2" -v n="${requests:-0}" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / hz / n; else print "-" }'
}

# run_wrk LABEL [wrk options...] URL [-- script arguments]: runs wrk --latency; sets rps, p50, p99 (ms), and fails on
# socket errors or non-2xx answers.
run_wrk() {
    local label=$1
    shift
    local out="$work/wrk-$label.txt"
    wrk --latency -t "$threads" -c "$connections" -d "${duration}s" --timeout 5s "$@" >"$out" 2>&1 || {
        echo "bench-http: wrk failed for $label:" >&2; cat "$out" >&2; return 1; }
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    requests=$(awk '/ requests in / { print $1 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    if grep -qE 'Non-2xx|Socket errors' "$out"; then
        echo "bench-http: $label had errors:" >&2; cat "$out" >&2; return 1
    fi
    [ -n "$rps" ] || { echo "bench-http: could not read wrk's output for $label:" >&2; cat "$out" >&2; return 1; }
}

echo "HTTP load on 127.0.0.1: wrk -t $threads -c $connections -d ${duration}s --latency, $(nproc) cores"

# 0-1. The anchors: the bare handler in C with 4 worker threads (`http.workerThreads`'s default, what `http-bare`
# uses), the same in Swift (our HTTPServer with a constant answer), and the service's balance reads (`serve --demo` on
# its own database), each loaded in turn for ANCHOR_ROUNDS rounds (3; 1 with BASELINE), so that a drift of the VM's
# speed falls on all three alike; the medians are the anchors' figures and the reads' ratio to the C handler.
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
"$cc" -O2 -o "$work/bare-handler" "$script_dir/bare-handler.c" $(pkg-config --cflags --libs libmicrohttpd) \
    >"$work/bare-c-build.log" 2>&1 || { echo "bench-http: could not compile bare-handler.c:" >&2; cat "$work/bare-c-build.log" >&2; exit 1; }
"$work/bare-handler" 0 4 >"$work/bare-c.out" 2>"$work/bare-c.err" &
bare_c_pid=$!
pids+=("$bare_c_pid")
bare_c_url=$(json_field "$(wait_ready bare-c "$work/bare-c.out" "$bare_c_pid")" listening)
"$bin_dir/walletbridge-bench" http-bare --port 0 >"$work/bare.out" 2>"$work/bare.err" &
bare_pid=$!
pids+=("$bare_pid")
bare_url=$(json_field "$(wait_ready bare "$work/bare.out" "$bare_pid")" listening)
service_port=$(free_port)
service_url="http://127.0.0.1:$service_port"
db="$work/anchor.sqlite"
start_service anchor-reads
anchor_url=$service_url anchor_pid=$service_pid anchor_key=$api_key
read_path="/wallets/getOne?external_user_id=demo-alice&currency=USD"

anchor_rounds=${ANCHOR_ROUNDS:-$([ -n "${BASELINE:-}" ] && echo 1 || echo 3)}
: >"$work/anchors.tsv"
# anchor_run NAME PID [wrk options...] URL: one wrk run; appends NAME, requests/s, p50, p99 and CPU µs to anchors.tsv.
anchor_run() {
    local name=$1 pid=$2 ticks
    shift 2
    ticks=$(cpu_ticks "$pid")
    run_wrk "$name" "$@"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "$(cpu_per_request "$ticks" "$(cpu_ticks "$pid")")" \
        >>"$work/anchors.tsv"
}
for _ in $(seq 1 "$anchor_rounds"); do
    anchor_run bare-c "$bare_c_pid" "$bare_c_url$read_path"
    anchor_run bare "$bare_pid" "$bare_url$read_path"
    anchor_run anchor-reads "$anchor_pid" -H "key: $anchor_key" "$anchor_url$read_path"
done
# anchor_median NAME COLUMN: the median of one anchor's figure over the rounds.
anchor_median() { awk -F '\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$work/anchors.tsv" | median; }
bare_c_rps=$(anchor_median bare-c 2) bare_c_p50=$(anchor_median bare-c 3) bare_c_p99=$(anchor_median bare-c 4)
bare_c_cpu=$(anchor_median bare-c 5)
bare_rps=$(anchor_median bare 2) bare_p50=$(anchor_median bare 3) bare_p99=$(anchor_median bare 4)
bare_cpu=$(anchor_median bare 5)
anchor_read_rps=$(anchor_median anchor-reads 2) anchor_read_cpu=$(anchor_median anchor-reads 5)
# Each round's reads against that round's C handler, in order.
round_ratios=$(awk -F '\t' '$1 == "bare-c" { c = $2 } $1 == "anchor-reads" { printf "%s%.0f%%", sep, 100 * $2 / c; sep = ", " }' \
    "$work/anchors.tsv")
kill -TERM "$bare_c_pid" "$bare_pid"; wait "$bare_c_pid" || true; wait "$bare_pid" || true
stop_service
pids=()

# profile_start NAME / profile_stop TITLE: with PROFILE set, `perf record` on the service for one wrk run, then the
# table of where its CPU time went (profile-categories.awk) and the largest symbols. Without PROFILE, nothing.
perf_pid=""
profile_start() {
    [ -n "${PROFILE:-}" ] || return 0
    perf_data="$work/$1.perf"
    perf record -q -F 2999 -p "$service_pid" -o "$perf_data" >"$work/perf-$1.log" 2>&1 &
    perf_pid=$!
}
profile_stop() {
    [ -n "$perf_pid" ] || return 0
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    perf_pid=""
    echo "Profile of the service during the $1:"
    perf report -i "$perf_data" --no-children --sort dso,sym -F overhead,dso,sym --stdio 2>/dev/null \
        | { grep -E '^ +[0-9.]+%' || true; } | sort -rn | awk -f "$script_dir/profile-categories.awk"
    echo
}

# 2. The service on a fresh database each time (its access log goes to a file, as a deployment's would): balance reads,
# small transfers, then a restart that must show every 200 transfer in the balance. With BASELINE=DIR (another build's
# bin directory, e.g. a worktree of an older commit) the same measurements run for it too, alternated with this build's
# over ROUNDS rounds, and the figures are printed side by side.
# measure_service BIN_DIR LABEL: sets read_rps read_p50 read_p99 transfer_rps transfer_p50 transfer_p99 for the
# `walletbridge` in BIN_DIR, and fails when a transfer was not answered 200 or an answered one is missing after a restart.
measure_service() {
    local service_bin=$1 label=$2
    db=${DB_URL:-"$work/$label.sqlite"}
    rm -f "$db" "$db-wal" "$db-shm"
    local saved_bin=$bin_dir
    bin_dir=$service_bin
    start_service "$label"
    bin_dir=$saved_bin

    local s0 r0
    s0=$(store_seconds "$service_url") r0=$(request_seconds "$service_url")
    if [ "$label" = serve ]; then profile_start reads; fi
    local ticks
    ticks=$(cpu_ticks "$service_pid")
    run_wrk "$label-reads" -H "key: $api_key" "$service_url/wallets/getOne?external_user_id=demo-alice&currency=USD"
    read_rps=$rps read_p50=$p50 read_p99=$p99 read_cpu=$(cpu_per_request "$ticks" "$(cpu_ticks "$service_pid")")
    if [ "$label" = serve ]; then profile_stop "balance reads ($read_rps/s under perf)"; fi
    read_share=$(db_share "$s0" "$(store_seconds "$service_url")" "$r0" "$(request_seconds "$service_url")")

    # Each wrk thread stops (and says so) if it runs out of unique orders.
    local request_count=$((duration * orders_per_second))
    "$bin_dir/walletbridge-bench" http-requests --count "$request_count" --api-key "$api_key" --prefix "bench-$label" \
        >"$work/transfers.tsv"
    local balance_before balance_after
    balance_before=$(curl -s "$service_url/wallets/getOne?external_user_id=demo-bob&currency=USD" -H "key: $api_key" \
        | sed -n 's/.*"amount":\([0-9.]*\).*/\1/p')
    s0=$(store_seconds "$service_url") r0=$(request_seconds "$service_url")
    if [ "$label" = serve ]; then profile_start transfers; fi
    ticks=$(cpu_ticks "$service_pid")
    local threads_before
    threads_before=$(thread_ticks "$service_pid")
    run_wrk "$label-transfers" -s "$script_dir/transfers.lua" "$service_url" -- "$work/transfers.tsv" "$api_key" "$threads"
    transfer_rps=$rps transfer_p50=$p50 transfer_p99=$p99
    transfer_cpu=$(cpu_per_request "$ticks" "$(cpu_ticks "$service_pid")")
    transfer_threads=$(thread_shares "$threads_before" "$(thread_ticks "$service_pid")" "$duration")
    if [ "$label" = serve ]; then profile_stop "SQLite transfers ($transfer_rps/s under perf)"; fi
    transfer_share=$(db_share "$s0" "$(store_seconds "$service_url")" "$r0" "$(request_seconds "$service_url")")
    transfers_200=$(awk '/^transfers_200:/ { print $2 }' "$work/wrk-$label-transfers.txt")
    transfers_other=$(awk '/^transfers_other:/ { print $2 }' "$work/wrk-$label-transfers.txt")
    out_of_requests=$(awk '/^threads_out_of_requests:/ { print $2 }' "$work/wrk-$label-transfers.txt")

    # Durability: restart the service on the same database; every 200 must be in demo-bob's balance (0.01 each).
    stop_service
    bin_dir=$service_bin
    start_service "$label-restarted"
    bin_dir=$saved_bin
    balance_after=$(curl -s "$service_url/wallets/getOne?external_user_id=demo-bob&currency=USD" -H "key: $api_key" \
        | sed -n 's/.*"amount":\([0-9.]*\).*/\1/p')
    stop_service
    applied=$(awk -v a="$balance_after" -v b="$balance_before" 'BEGIN { printf "%.0f", (a - b) * 100 }')
    if [ "$transfers_other" != 0 ] || [ "$transfers_200" = 0 ]; then
        echo "bench-http: $label: some transfers were not answered 200" >&2; exit 1
    fi
    # Requests cut off when wrk's time ran out may be applied without wrk counting them: at most one per connection.
    if [ "$applied" -lt "$transfers_200" ] || [ "$applied" -gt $((transfers_200 + connections)) ]; then
        echo "bench-http: $label: $transfers_200 transfers answered 200 but the balance after restart shows $applied" >&2
        exit 1
    fi
}

# measure_two_instances URL: two `serve` instances on one PostgreSQL database, each loaded by its own wrk with half
# the connections, at the same time; sets the row's figures (requests/s summed, p50 and p99 the worse of the two,
# store share over both) and checks every 200 transfer is applied once.
measure_two_instances() {
    local url=$1 ports=() service_pids=() keys=() index
    for index in 1 2; do
        ports+=("$(free_port)")
        "$bin_dir/walletbridge" serve --demo --db "$url" --listen "127.0.0.1:${ports[-1]}" \
            >"$work/pg-two-$index.out" 2>"$work/pg-two-$index.err" &
        service_pids+=($!)
        pids+=($!)
        local ready
        ready=$(wait_ready "pg-two-$index" "$work/pg-two-$index.out" "${service_pids[-1]}")
        keys+=("$(json_field "$ready" apiKey)")
    done
    local half=$((connections / 2)) urls=("http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}")
    both_metric() { awk -v a="$($1 "${urls[0]}")" -v b="$($1 "${urls[1]}")" 'BEGIN { printf "%.6f", a + b }'; }
    two_wrk() {  # LABEL then wrk arguments for instance 1 and 2, separated by ::
        local label=$1; shift
        local first=() second=() seen=0 arg
        for arg in "$@"; do if [ "$arg" = "::" ]; then seen=1; elif [ $seen = 0 ]; then first+=("$arg"); else second+=("$arg"); fi; done
        wrk --latency -t 1 -c "$half" -d "${duration}s" --timeout 5s "${first[@]}" >"$work/wrk-$label-1.txt" 2>&1 &
        local w1=$!
        wrk --latency -t 1 -c "$half" -d "${duration}s" --timeout 5s "${second[@]}" >"$work/wrk-$label-2.txt" 2>&1
        wait "$w1"
        rps=0 p50=0 p99=0
        for index in 1 2; do
            local out="$work/wrk-$label-$index.txt"
            if grep -qE 'Non-2xx|Socket errors' "$out"; then echo "bench-http: $label had errors:" >&2; cat "$out" >&2; return 1; fi
            rps=$(awk -v r="$rps" '/^Requests\/sec:/ { printf "%.0f", r + $2 }' "$out")
            p50=$(awk -v a="$p50" -v b="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" 'BEGIN { print (b > a ? b : a) }')
            p99=$(awk -v a="$p99" -v b="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")" 'BEGIN { print (b > a ? b : a) }')
        done
    }
    local s0 r0
    s0=$(both_metric store_seconds) r0=$(both_metric request_seconds)
    two_wrk pg-two-reads -H "key: ${keys[0]}" "${urls[0]}/wallets/getOne?external_user_id=demo-alice&currency=USD" :: \
        -H "key: ${keys[1]}" "${urls[1]}/wallets/getOne?external_user_id=demo-alice&currency=USD"
    read_rps=$rps read_p50=$p50 read_p99=$p99
    read_share=$(db_share "$s0" "$(both_metric store_seconds)" "$r0" "$(both_metric request_seconds)")

    local request_count=$((duration * orders_per_second)) before after
    for index in 1 2; do
        "$bin_dir/walletbridge-bench" http-requests --count "$request_count" --api-key "${keys[0]}" --prefix "bench-two-$index" \
            >"$work/transfers-$index.tsv"
    done
    before=$(curl -s "${urls[0]}/wallets/getOne?external_user_id=demo-bob&currency=USD" -H "key: ${keys[0]}" \
        | sed -n 's/.*"amount":\([0-9.]*\).*/\1/p')
    s0=$(both_metric store_seconds) r0=$(both_metric request_seconds)
    two_wrk pg-two-transfers -s "$script_dir/transfers.lua" "${urls[0]}" -- "$work/transfers-1.tsv" "${keys[0]}" 1 :: \
        -s "$script_dir/transfers.lua" "${urls[1]}" -- "$work/transfers-2.tsv" "${keys[1]}" 1
    transfer_rps=$rps transfer_p50=$p50 transfer_p99=$p99
    transfer_share=$(db_share "$s0" "$(both_metric store_seconds)" "$r0" "$(both_metric request_seconds)")
    local answered=0 other=0
    for index in 1 2; do
        answered=$((answered + $(awk '/^transfers_200:/ { print $2 }' "$work/wrk-pg-two-transfers-$index.txt")))
        other=$((other + $(awk '/^transfers_other:/ { print $2 }' "$work/wrk-pg-two-transfers-$index.txt")))
    done
    after=$(curl -s "${urls[1]}/wallets/getOne?external_user_id=demo-bob&currency=USD" -H "key: ${keys[1]}" \
        | sed -n 's/.*"amount":\([0-9.]*\).*/\1/p')
    local applied_two
    applied_two=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.0f", (a - b) * 100 }')
    for index in 0 1; do kill -TERM "${service_pids[$index]}"; wait "${service_pids[$index]}" || true; done
    local remaining=() pid
    for pid in "${pids[@]}"; do [[ " ${service_pids[*]} " == *" $pid "* ]] || remaining+=("$pid"); done
    pids=("${remaining[@]}")
    if [ "$other" != 0 ] || [ "$answered" = 0 ]; then echo "bench-http: two instances: some transfers were not answered 200" >&2; exit 1; fi
    if [ "$applied_two" -lt "$answered" ] || [ "$applied_two" -gt $((answered + connections)) ]; then
        echo "bench-http: two instances: $answered transfers answered 200 but the balance shows $applied_two" >&2; exit 1
    fi
    echo "two instances on one PostgreSQL database: $answered transfers answered 200, $applied_two applied"
}

verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "MISSED"; fi; }

if [ -z "${BASELINE:-}" ]; then
    measure_service "$bin_dir" serve
    sqlite_read_cpu=$read_cpu sqlite_transfer_cpu=$transfer_cpu sqlite_transfer_threads=$transfer_threads
    ratio=$(awk -v r="$anchor_read_rps" -v b="$bare_rps" 'BEGIN { printf "%.0f", 100 * r / b }')
    ratio_c=$(awk -v r="$anchor_read_rps" -v b="$bare_c_rps" 'BEGIN { printf "%.0f", 100 * r / b }')
    swift_bare_ratio=$(awk -v r="$bare_rps" -v b="$bare_c_rps" 'BEGIN { printf "%.0f", 100 * r / b }')
    rows=("SQLite, 1 instance|$read_rps|$read_p50|$read_p99|$read_share|$transfer_rps|$transfer_p50|$transfer_p99|$transfer_share")
    sqlite_transfers_200=$transfers_200 sqlite_transfers_other=$transfers_other sqlite_applied=$applied
    sqlite_out=$out_of_requests
    # The durable floor under those transfers: the same rows by raw SQL, a commit per group of as many transfers as
    # wrk keeps in flight (the most the group commit can gather), the same durability, on the same disk.
    floor_json=$("$bin_dir/walletbridge-bench" sql-floor --group "$connections" --seconds "$duration")
    floor_rps=$(sed -n 's/.*"transfers_per_second":\([0-9]*\).*/\1/p' <<<"$floor_json")
    floor_commits=$(sed -n 's/.*"commits_per_second":\([0-9]*\).*/\1/p' <<<"$floor_json")
    floor_ratio=$(awk -v t="$transfer_rps" -v f="$floor_rps" 'BEGIN { printf "%.0f", 100 * t / f }')
    if [ "${PG:-1}" != 0 ] && [ -n "$pg_bin" ]; then
        start_postgres
        DB_URL=$(new_pg_database bench_one) measure_service "$bin_dir" pg-one
        rows+=("PostgreSQL, 1 instance|$read_rps|$read_p50|$read_p99|$read_share|$transfer_rps|$transfer_p50|$transfer_p99|$transfer_share")
        measure_two_instances "$(new_pg_database bench_two)"
        rows+=("PostgreSQL, 2 instances|$read_rps|$read_p50|$read_p99|$read_share|$transfer_rps|$transfer_p50|$transfer_p99|$transfer_share")
        stop_postgres
    elif [ "${PG:-1}" != 0 ]; then
        echo "bench-http: PostgreSQL left out: no /usr/lib/postgresql/*/bin (Debian's postgresql package; make deps installs it)"
    fi
    printf '\n%-34s %12s %9s %9s %14s\n' "" "requests/s" "p50 ms" "p99 ms" "server CPU µs"
    printf '%-34s %12s %9s %9s %14s\n' "bare libmicrohttpd handler, C" "$bare_c_rps" "$bare_c_p50" "$bare_c_p99" "$bare_c_cpu"
    printf '%-34s %12s %9s %9s %14s\n' "bare libmicrohttpd handler, Swift" "$bare_rps" "$bare_p50" "$bare_p99" "$bare_cpu"
    IFS='|' read -r _ read_rps read_p50 read_p99 _ transfer_rps transfer_p50 transfer_p99 _ <<<"${rows[0]}"
    printf '%-34s %12s %9s %9s %14s\n' "balance reads (GET getOne), once" "$read_rps" "$read_p50" "$read_p99" "$sqlite_read_cpu"
    printf '%-34s %12s %9s %9s %14s\n' "small transfers (PATCH balance)" "$transfer_rps" "$transfer_p50" "$transfer_p99" \
        "$sqlite_transfer_cpu"
    echo "(server CPU µs: the server process's user and system CPU per request during its wrk run, /proc/PID/stat)"
    echo "the service's threads during the transfers, CPU in percent of one core: $sqlite_transfer_threads"
    echo "(walletbridge-co: the group commit's committer; walletbridge-ht: the blocking pool; MHD-worker: libmicrohttpd's)"
    printf '\n%-26s %9s %8s %8s %12s %8s %8s %8s\n' "store" "reads/s" "p99 ms" "in db" "transfers/s" "p50 ms" \
        "p99 ms" "in db"
    for row in "${rows[@]}"; do
        IFS='|' read -r name r _ rp rs t tp50 tp99 ts <<<"$row"
        printf '%-26s %9s %8s %8s %12s %8s %8s %8s\n' "$name" "$r" "$rp" "$rs" "$t" "$tp50" "$tp99" "$ts"
    done
    echo "(\"in db\": the share of the service's request time spent in store transactions and reads, from /metrics)"
    transfers_200=$sqlite_transfers_200 transfers_other=$sqlite_transfers_other applied=$sqlite_applied
    out_of_requests=$sqlite_out
    echo
    echo "transfers: $transfers_200 answered 200, $transfers_other other; $applied applied in the balance after a restart" \
        "(wrk threads out of unique orders: $out_of_requests)"
    echo "Swift bare handler: ${swift_bare_ratio}% of the C bare handler"
    echo "balance reads, medians of $anchor_rounds rounds alternated with the bare handlers: $anchor_read_rps/s" \
        "($anchor_read_cpu µs CPU), ${ratio_c}% of the C bare handler (target >= 70%) -> $(verdict "$ratio_c >= 70")" \
        "(round by round: $round_ratios)"
    echo "target reads >= 50% of bare (the Swift bare handler): ${ratio}% -> $(verdict "$ratio >= 50")"
    echo "target transfers >= 2000/s with p99 < 20 ms: $(verdict "$transfer_rps >= 2000 && $transfer_p99 < 20")"
    echo "durable floor (walletbridge-bench sql-floor): the same rows by raw SQL, $connections transfers a commit," \
        "synchronous=FULL: $floor_rps transfers/s ($floor_commits commits/s)"
    # The issue's target has a fallback for a disk whose flush forbids 10,000/s: the service at 75% of that floor.
    # Either met meets it; both halves are printed.
    rate_verdict=$(verdict "$transfer_rps >= 10000 && $transfer_p99 < 10") floor_verdict=$(verdict "$floor_ratio >= 75")
    echo "target transfers >= 10000/s with p99 < 10 ms (or, where the disk's flush forbids that, >= 75% of the" \
        "durable floor): $transfer_rps/s, p99 $transfer_p99 ms ($rate_verdict); ${floor_ratio}% of the floor ($floor_verdict)" \
        "-> $([ "$rate_verdict" = met ] || [ "$floor_verdict" = met ] && echo met || echo MISSED)"
    if [ "$out_of_requests" != 0 ]; then
        echo "(a wrk thread ran out of unique orders, so the transfers rate is a lower bound: raise orders_per_second)"
    fi
    echo "durability: every 200 transfer is in the balance after the restart"
    exit 0
fi

command -v "$BASELINE/walletbridge" >/dev/null || { echo "bench-http: no walletbridge in BASELINE=$BASELINE" >&2; exit 1; }
rounds=${ROUNDS:-3}
: >"$work/figures.tsv"
for round in $(seq 1 "$rounds"); do
    for side in baseline current; do
        if [ "$side" = baseline ]; then measure_service "$BASELINE" "baseline-$round"
        else measure_service "$bin_dir" "current-$round"; fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$side" "$round" "$read_rps" "$read_p99" "$transfer_rps" \
            "$transfer_p99" "$transfers_200" "$read_cpu" "$transfer_cpu" >>"$work/figures.tsv"
        echo "round $round $side: reads $read_rps/s (p99 $read_p99 ms, $read_cpu µs CPU), transfers $transfer_rps/s" \
            "(p99 $transfer_p99 ms, $transfer_cpu µs CPU)"
    done
done
column_median() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s { print $c }' "$work/figures.tsv" | median; }
base_reads=$(column_median baseline 3) cur_reads=$(column_median current 3)
base_transfers=$(column_median baseline 5) cur_transfers=$(column_median current 5)
base_read_cpu=$(column_median baseline 8) cur_read_cpu=$(column_median current 8)
base_transfer_cpu=$(column_median baseline 9) cur_transfer_cpu=$(column_median current 9)
change() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }'; }
printf '\nmedians of %s alternated rounds; bare handler %s requests/s (C), %s requests/s (Swift)\n' "$rounds" "$bare_c_rps" \
    "$bare_rps"
printf '%-34s %12s %12s %9s\n' "" "baseline" "this build" "change"
printf '%-34s %12s %12s %9s\n' "balance reads (GET getOne)/s" "$base_reads" "$cur_reads" "$(change "$base_reads" "$cur_reads")"
printf '%-34s %12s %12s %9s\n' "small transfers (PATCH balance)/s" "$base_transfers" "$cur_transfers" "$(change "$base_transfers" "$cur_transfers")"
printf '%-34s %12s %12s %9s\n' "server CPU µs per read" "$base_read_cpu" "$cur_read_cpu" "$(change "$base_read_cpu" "$cur_read_cpu")"
printf '%-34s %12s %12s %9s\n' "server CPU µs per transfer" "$base_transfer_cpu" "$cur_transfer_cpu" \
    "$(change "$base_transfer_cpu" "$cur_transfer_cpu")"
echo "durability: in every round every 200 transfer was in the balance after the restart"
