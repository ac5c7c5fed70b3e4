import Foundation
import BridgeServer

/// `walletbridge-bench SUITE [--seconds S]`: prints throughput figures for one suite.
let usage = """
    usage: walletbridge-bench crypto|ledger|trezor|approvals [--seconds S]
           walletbridge-bench usb [--count N]
           walletbridge-bench http-bare [--port N] [--threads T]
           walletbridge-bench http-requests --count N --api-key K [--prefix P]
           walletbridge-bench sql-floor [--group G] [--seconds S]

    Suites:
      crypto   Keccak-256, secp256k1 sign/verify/recover, BIP-32 public derivation, EIP-712 "Mail" digest and
               BIP-39 seed: our Swift API beside the raw C call doing the same work, in the same run.
      ledger   APDU round trips and frame bytes per second through the in-process simulated Ledger, and the
               bridge's own CPU time per exchange as a fraction of a USB full-speed HID frame interval (1 ms).
      trezor   Protocol-v1 message round trips through the in-process simulated Trezor (Ping and EthereumGetAddress,
               on the bare channel and through TrezorDevice), protobuf encode/decode rates (Features,
               EthereumSignTypedHash, EthereumTypedDataSignature), and the bridge's own CPU time per exchange
               (recorded replies replayed) as a fraction of a USB full-speed frame interval (1 ms).
      approvals
               Approval signature verifications beside raw secp256k1 recovery; durable order applications through
               the approval service on SQLite (WAL, synchronous=FULL) beside a bare SQLite insert-and-commit loop;
               audit chain verification events per second.
      http-bare
               The HTTP load benchmark's baseline (make bench-http): libmicrohttpd through our HTTPServer with the
               service's worker threads and a handler returning a constant JSON body, on 127.0.0.1:N (default 0: any
               free port), until SIGINT or SIGTERM. Prints {"listening":"http://127.0.0.1:PORT"} once ready.
      http-requests
               Prints N signed small-credit PATCH /wallets/balance requests for wrk, one per line: BODY<TAB>SIGNATURE
               (order ids P-0 ... P-(N-1), default prefix "bench"), signed with the CRM API key K.
      sql-floor
               The durable floor under the service's transfers: the rows one applied transfer writes, by raw SQL into
               the store's schema with the store's durability (WAL, synchronous=FULL), G transfers a commit (default
               32, each in its own savepoint, as the group commit runs them), for S seconds (default 5). Prints
               {"transfers_per_second":N,"commits_per_second":N,"group":G}.

    Options:
      --seconds S   length of one measurement round (default 0.5); each figure is the best of 5 rounds, Swift and C alternating.
    Build in release mode for meaningful figures: swift run -c release walletbridge-bench crypto
    """

var arguments = Array(CommandLine.arguments.dropFirst())

/// Removes `--name VALUE` from `arguments` and returns VALUE (nil when absent); exits with usage when VALUE is missing.
@MainActor func takeOption(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name) else { return nil }
    guard index + 1 < arguments.count else {
        FileHandle.standardError.write(Data("\(name) needs a value\n".utf8))
        exit(2)
    }
    defer { arguments.removeSubrange(index...index + 1) }
    return arguments[index + 1]
}

/// `takeOption` for a whole number in `range`.
@MainActor func takeInteger(_ name: String, in range: ClosedRange<Int>) -> Int? {
    guard let text = takeOption(name) else { return nil }
    guard let value = Int(text), range.contains(value) else {
        FileHandle.standardError.write(Data("\(name) needs a whole number in \(range.lowerBound)...\(range.upperBound), not \(text)\n".utf8))
        exit(2)
    }
    return value
}
var roundSeconds = 0.5
var secondsGiven = false
if let index = arguments.firstIndex(of: "--seconds") {
    guard index + 1 < arguments.count, let value = Double(arguments[index + 1]), value > 0 else {
        FileHandle.standardError.write(Data("--seconds needs a positive number\n".utf8))
        exit(2)
    }
    roundSeconds = value
    secondsGiven = true
    arguments.removeSubrange(index...index + 1)
}
let harness = BenchmarkHarness(roundDuration: .milliseconds(Int(roundSeconds * 1000)), rounds: 5)

switch arguments.first {
case "crypto":
    do {
        try CryptoBenchmarks(harness: harness).run()
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
case "usb":
    let count = takeInteger("--count", in: 1...1_000_000) ?? 200
    do {
        try KernelUSBBenchmarks.run(count: count)
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
case "ledger":
    do {
        try LedgerBenchmarks(harness: harness).run()
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
case "trezor":
    do {
        try await TrezorBenchmarks(harness: harness).run()
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
case "approvals":
    do {
        try ApprovalBenchmarks(harness: harness).run()
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
case "http-bare":
    do {
        let port = takeInteger("--port", in: 0...65535) ?? 0
        let threads = try takeInteger("--threads", in: 1...256) ?? ServiceConfiguration.demo().workerThreads
        try HTTPBareServer(port: UInt16(port), workerThreads: threads).run()
    } catch {
        FileHandle.standardError.write(Data("http-bare failed: \(error)\n".utf8))
        exit(1)
    }
case "http-requests":
    guard let count = takeInteger("--count", in: 1...10_000_000), let apiKey = takeOption("--api-key") else {
        FileHandle.standardError.write(Data("http-requests needs --count N and --api-key K\n".utf8))
        exit(2)
    }
    var file = HTTPRequestFile(count: count, apiKey: apiKey)
    if let prefix = takeOption("--prefix") { file.orderPrefix = prefix }
    FileHandle.standardOutput.write(Data((file.lines().joined(separator: "\n") + "\n").utf8))
case "sql-floor":
    let group = takeInteger("--group", in: 1...10_000) ?? 32
    do {
        try SQLFloorBenchmark.run(groupSize: group, seconds: secondsGiven ? roundSeconds : 5)
    } catch {
        FileHandle.standardError.write(Data("sql-floor failed: \(error)\n".utf8))
        exit(1)
    }
case "-h", "--help":
    print(usage)
default:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
