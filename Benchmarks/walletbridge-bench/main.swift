import Foundation

/// `walletbridge-bench SUITE [--seconds S]`: prints throughput figures for one suite.
let usage = """
    usage: walletbridge-bench crypto|ledger|approvals [--seconds S]

    Suites:
      crypto   Keccak-256, secp256k1 sign/verify/recover, BIP-32 public derivation, EIP-712 "Mail" digest and
               BIP-39 seed: our Swift API beside the raw C call doing the same work, in the same run.
      ledger   APDU round trips and frame bytes per second through the in-process simulated Ledger, and the
               bridge's own CPU time per exchange as a fraction of a USB full-speed HID frame interval (1 ms).
      approvals
               Approval signature verifications beside raw secp256k1 recovery; durable order applications through
               the approval service on SQLite (WAL, synchronous=FULL) beside a bare SQLite insert-and-commit loop;
               audit chain verification events per second.

    Options:
      --seconds S   length of one measurement round (default 0.5); each figure is the best of 5 rounds, Swift and C alternating.
    Build in release mode for meaningful figures: swift run -c release walletbridge-bench crypto
    """

var arguments = Array(CommandLine.arguments.dropFirst())
var roundSeconds = 0.5
if let index = arguments.firstIndex(of: "--seconds") {
    guard index + 1 < arguments.count, let value = Double(arguments[index + 1]), value > 0 else {
        FileHandle.standardError.write(Data("--seconds needs a positive number\n".utf8))
        exit(2)
    }
    roundSeconds = value
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
case "ledger":
    do {
        try LedgerBenchmarks(harness: harness).run()
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
case "-h", "--help":
    print(usage)
default:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
