import BridgeCore
import BridgeCrypto
import Foundation
import Glibc
import Synchronization
import Testing
import TestVectors
@testable import WalletBridgeCLI

/// End to end over the Trezor emulator protocol: `walletbridge simulate trezor --port 0` runs as a child process (a
/// Safe 5, and a Trezor One for hashed EIP-712), and the device commands reach it with `--transport
/// udp:127.0.0.1:PORT`, in-process (and once as a process of their own), as trezorctl reaches the emulator. Every
/// answer is checked against the "all all" seed's published values (trezor.md section 5, the upstream fixtures).
@Suite("simulate trezor, end to end")
struct TrezorSimulateEndToEndTests {
    typealias Support = TrezorTestSupport

    /// `walletbridge simulate trezor ARGUMENTS`, up and listening.
    static func simulator(_ arguments: [String]) throws -> SimulateEndToEndTests.SimulatorProcess {
        try SimulateEndToEndTests.SimulatorProcess(device: "trezor", arguments)
    }

    static func binaryBuilt() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: SimulateEndToEndTests.binaryPath) else {
            Issue.record("walletbridge is not built at \(SimulateEndToEndTests.binaryPath), so the end-to-end test did not run: `swift build` (or `make test`) first.")
            return false
        }
        return true
    }

    @Test("A simulated Safe 5 over UDP: address (eth, btc), xpub, sign-message (eth, btc), full EIP-712, enumerate")
    func safe5() async throws {
        guard Self.binaryBuilt() else { return }
        let simulator = try Self.simulator(["--port", "0"])
        var stopped = false
        defer { if !stopped { _ = simulator.stop(signal: SIGKILL) } }
        let listening = try simulator.listening()
        #expect(try JSONValue(parsing: simulator.readyLine).objectValue?.keys == ["listening"])
        #expect(listening.hasPrefix("udp:127.0.0.1:") && listening != "udp:127.0.0.1:0")
        let transport = ["--transport", listening]

        // address, eth: once as a process of its own, like a script would run it.
        let ethProcess = try SimulateEndToEndTests.launch(["address", "--path", Support.ethPath] + transport)
        #expect(ethProcess.exitCode == 0, "\(ethProcess.stdout) \(ethProcess.stderr)")
        let eth = try ethProcess.json()
        #expect(eth["address"]?.stringValue == Support.ethAddress)
        #expect(eth["path"]?.stringValue == Support.ethPath)
        #expect(eth["publicKey"]?.stringValue == (try Support.publicKeyHex(Support.ethPath)))

        let btc = await Support.run(["address", "--coin", "btc", "--path", Support.btcSegwitPath] + transport)
        #expect(btc.exitCode == 0, "\(btc.stdout) \(btc.stderr)")
        #expect(try btc.json()["address"]?.stringValue == Support.btcSegwitAddress)
        #expect(try btc.json()["publicKey"]?.stringValue == (try Support.publicKeyHex(Support.btcSegwitPath)))

        let xpub = await Support.run(["xpub", "--path", Support.xpubPath] + transport)
        #expect(xpub.exitCode == 0, "\(xpub.stdout) \(xpub.stderr)")
        let xpubJSON = try xpub.json()
        #expect(xpubJSON["xpub"]?.stringValue == Support.xpub)
        #expect(xpubJSON["fingerprint"]?.stringValue == Support.masterFingerprint)
        let key = try Support.key(Support.xpubPath)
        #expect(xpubJSON["chainCode"]?.stringValue == Hex.encodePrefixed(key.chainCode))
        #expect(xpubJSON["publicKey"]?.stringValue == Hex.encodePrefixed(key.publicKey.compressed))

        let ethSigned = await Support.run(["sign-message", "--path", Support.ethPath, "--message", Support.message] + transport)
        #expect(ethSigned.exitCode == 0, "\(ethSigned.stdout) \(ethSigned.stderr)")
        let ethExpected = try Support.ethereumSignMessage()
        #expect(try ethSigned.json()["signature"]?.stringValue == ethExpected.signature)
        #expect(try ethSigned.json()["address"]?.stringValue == ethExpected.address)
        #expect(ethSigned.stderr.contains("Trezor"), "progress names the device: \(ethSigned.stderr)")

        let btcSigned = await Support.run(["sign-message", "--coin", "btc", "--path", Support.btcSegwitPath,
                                           "--message", Support.message] + transport)
        #expect(btcSigned.exitCode == 0, "\(btcSigned.stdout) \(btcSigned.stderr)")
        let btcExpected = try Support.bitcoinSignMessage()
        #expect(try btcSigned.json()["signature"]?.stringValue == btcExpected.signature)
        #expect(try btcSigned.json()["address"]?.stringValue == btcExpected.address)

        let typed = try Support.typedData("basic_data")
        let file = try TemporaryFile(typed.json.serialized())
        defer { file.remove() }
        let full = await Support.run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--mode", "full"] + transport)
        #expect(full.exitCode == 0, "\(full.stdout) \(full.stderr)")
        let fullJSON = try full.json()
        #expect(fullJSON["signature"]?.stringValue == typed.signature)
        #expect(fullJSON["address"]?.stringValue == Support.ethAddress)
        #expect(fullJSON["domainHash"]?.stringValue == typed.domainHash)
        #expect(fullJSON["messageHash"]?.stringValue == typed.messageHash)

        // Core models do not implement EthereumSignTypedHash: hashed mode is "not supported" (-9).
        let hashed = await Support.run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--mode", "hashed"] + transport)
        #expect(hashed.exitCode == 1)
        #expect(hashed.errorCode == -9, "\(hashed.stdout)")

        let listed = await Support.run(["enumerate"] + transport)
        let entry = try #require(try listed.json().arrayValue?.first, "\(listed.stdout)")
        #expect(entry["id"]?.stringValue == listening)
        #expect(entry["type"] == "trezor")
        #expect(entry["transport"] == "udp")
        #expect(entry["model"] == "safe5")
        #expect(entry["state"] == "ready")
        #expect(entry["app"]?["name"] == "Trezor Safe 5")

        let finished = simulator.stop()
        stopped = true
        #expect(finished.exitCode == 0)
        #expect(finished.stdout.isEmpty, "nothing after the ready line: \(finished.stdout)")
        #expect(finished.stderr.contains("PUBLIC test seed"))
        #expect(finished.stderr.contains("NEVER send funds"))
        #expect(finished.stderr.contains("Simulated Trezor safe5"))
        #expect(finished.stderr.contains("stopped (SIGINT)"))
    }

    @Test("A simulated Trezor One over UDP signs EIP-712 hashed (the same signature as full on the Safe 5); full is -9")
    func trezorOne() async throws {
        guard Self.binaryBuilt() else { return }
        let simulator = try Self.simulator(["--port", "0", "--model", "one"])
        defer { _ = simulator.stop() }
        let transport = ["--transport", try simulator.listening()]

        let typed = try Support.typedData("basic_data")
        let file = try TemporaryFile(typed.json.serialized())
        defer { file.remove() }
        let hashed = await Support.run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--mode", "hashed"] + transport)
        #expect(hashed.exitCode == 0, "\(hashed.stdout) \(hashed.stderr)")
        #expect(try hashed.json()["signature"]?.stringValue == typed.signature)
        #expect(try hashed.json()["digest"]?.stringValue != nil)

        let full = await Support.run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path] + transport)
        #expect(full.exitCode == 1)
        #expect(full.errorCode == -9, "\(full.stdout)")
        #expect(full.hint.contains("--mode hashed"), "\(full.hint)")

        let eth = await Support.run(["address", "--path", Support.ethPath] + transport)
        #expect(try eth.json()["address"]?.stringValue == Support.ethAddress)
        let listed = await Support.run(["enumerate"] + transport)
        #expect(try listed.json().arrayValue?.first?["model"] == "one")
    }

    @Test("simulate trezor --approve deny: a signature is refused (-7); SIGTERM stops it")
    func deniedAndTerminated() async throws {
        guard Self.binaryBuilt() else { return }
        let simulator = try Self.simulator(["--port", "0", "--approve", "deny"])
        let refused = await Support.run(["sign-message", "--path", Support.ethPath, "--message", "no",
                                         "--transport", try simulator.listening()])
        #expect(refused.exitCode == 1)
        #expect(refused.errorCode == -7, "\(refused.stdout)")
        let finished = simulator.stop(signal: SIGTERM)
        #expect(finished.exitCode == 0)
        #expect(finished.stderr.contains("rejects every prompt"))
        #expect(finished.stderr.contains("stopped (SIGTERM)"))
    }

    @Test("Nothing at udp:HOST:PORT is -3 naming the address; simulate trezor on a port in use fails with an error JSON")
    func nothingListeningAndPortInUse() async throws {
        guard Self.binaryBuilt() else { return }
        let first = try Self.simulator(["--port", "0"])
        let listening = try first.listening()
        let port = try #require(listening.split(separator: ":").last.map(String.init))
        let second = try SimulateEndToEndTests.launch(["simulate", "trezor", "--port", port])
        #expect(second.exitCode == 1, "\(second.stdout)")
        #expect(try second.json()["error"] != nil)
        #expect(try second.json()["listening"] == nil)
        _ = first.stop()

        // The simulator is gone: its port answers nothing (the ping gets ICMP port-unreachable).
        let gone = await Support.run(["address", "--path", Support.ethPath, "--transport", listening])
        #expect(gone.exitCode == 1)
        #expect(gone.errorCode == -3, "\(gone.stdout)")
        #expect(gone.errorMessage.contains(listening), "\(gone.errorMessage)")
    }
}

extension SimulateEndToEndTests.SimulatorProcess {
    /// The `udp:127.0.0.1:PORT` (or `tcp:...`) of the ready line.
    func listening() throws -> String {
        try #require(try JSONValue(parsing: readyLine)["listening"]?.stringValue, "ready line: \(readyLine)")
    }
}
