# Groups `perf report --no-children --sort dso,sym -F overhead,dso,sym --stdio` lines into where a transfer's CPU
# time goes (PROFILE=1 in bench-http.sh; Benchmarks/README.md's profile table). Rules in order: the first match wins.
# Swift symbols are matched by their module's name, which both mangled ($s12BridgeServer...) and demangled
# (BridgeServer.HTTPServer...) names contain.
function category(dso, symbol) {
    if (dso ~ /libmicrohttpd/) return "HTTP: libmicrohttpd (parsing, sockets)"
    if (dso ~ /libsqlite3/) return "SQL: SQLite (statements, pages, WAL)"
    if (dso ~ /libsecp256k1/) return "signature check: secp256k1"
    if (dso ~ /libnettle/) return "hashing: nettle (SHA-256, Keccak)"
    if (dso ~ /kernel/) {
        if (symbol ~ /ext4|jbd2|blk|nvme|virtio_blk|fsync|submit_bio|bio_|writeback|filemap_write/) return "kernel: file writes and fsync"
        if (symbol ~ /tcp|inet|sock|skb|ip_|__dev_|net_|loopback|epoll|ep_|poll/) return "kernel: network and epoll"
        if (symbol ~ /futex|schedule|task_switch|wake|_raw_spin_unlock|irqentry|__x64_sys_sched|idle/)
            return "kernel: context switches and wake-ups (threads handing work over)"
        if (symbol ~ /iowrite|ioread|virtqueue|vring/) return "kernel: virtio doorbells (disk and network)"
        return "kernel: other"
    }
    if (symbol ~ /Mutex|_lockSlow|pthread_mutex|lll_lock/) return "locks: waiting for a contended lock (spinning)"
    if (symbol ~ /JSON/) return "JSON (parse, encode)"
    if (symbol ~ /BridgeServer/) return "HTTP: our layer (BridgeServer: routes, CRM decoding, auth)"
    if (symbol ~ /BridgeStore|SQLite/) return "SQL: our store code (BridgeStore)"
    if (symbol ~ /BridgeApprovals/) return "session manager: policy, orders, audit (BridgeApprovals)"
    if (symbol ~ /BridgeCrypto/) return "crypto glue (BridgeCrypto)"
    if (symbol ~ /swift_|Swift|\$ss|__swift/) return "Swift runtime and stdlib (ARC, allocation, strings)"
    if (dso ~ /libc\.so|libm\.so|libstdc/) {
        if (symbol ~ /malloc|free|calloc|realloc|_int_|tcache|arena/) return "libc: malloc and free"
        if (symbol ~ /mem(cpy|move|set|cmp)|str/) return "libc: memory and string copies"
        if (symbol ~ /pthread|futex|lll_|mutex|cond/) return "libc: locks and threads"
        return "libc: other"
    }
    return "other (" dso ")"
}
/^ +[0-9.]+%/ {
    share = $1; sub(/%/, "", share)
    dso = $2
    symbol = ""
    for (field = 3; field <= NF; field++) symbol = symbol " " $field
    total[category(dso, symbol)] += share
    sum += share
    # The lines come sorted by share, largest first: keep the top ones to show beside the table.
    if (shown < 20) { top[++shown] = sprintf("| %.1f%% | %s | %s |", share, dso, substr(symbol, 2, 90)) }
}
END {
    printf "| where the CPU time goes (perf, the service process, self time) | share |\n"
    printf "|---|---:|\n"
    for (name in total) printf "| %s | %.1f%% |\n", name, total[name] * 100 / sum | "sort -t'|' -k3 -rn"
    close("sort -t'|' -k3 -rn")
    printf "\n| the largest symbols | library | symbol |\n|---:|---|---|\n"
    for (index_ = 1; index_ <= shown; index_++) print top[index_]
}
