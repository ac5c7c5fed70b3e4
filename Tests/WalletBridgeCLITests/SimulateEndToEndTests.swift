import BridgeCore
import BridgeCrypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
import TestVectors

/// End to end through real processes: `walletbridge simulate ledger --port 0` as a child process, and every device
/// command as another child process talking to it over TCP (the Speculos APDU protocol), the way an operator's
/// scripts would use a Speculos emulator.
@Suite("simulate ledger, end to end")
struct SimulateEndToEndTests {
    typealias Support = DeviceTestSupport
    static let binaryPath = BinaryPlumbingTests.binaryPath

    struct Finished {
        let exitCode: Int32
        let stdout: String
        let stderr: String

        func json() throws -> JSONValue { try JSONValue(parsing: stdout) }
    }

    /// Runs the binary with `arguments` and waits for it.
    static func launch(_ arguments: [String]) throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // The outputs are small (under a pipe's buffer), so reading them one after the other cannot deadlock.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                        stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `walletbridge simulate DEVICE ARGUMENTS` as a child process, up and listening (the Ledger and Trezor
    /// end-to-end tests share it).
    final class SimulatorProcess {
        let process = Process()
        let output = Pipe()
        let error = Pipe()
        let readyLine: String

        /// Starts `walletbridge simulate DEVICE ARGUMENTS` and reads its ready line. A watchdog ends a child that
        /// never gets ready, so the read sees end-of-file instead of hanging the test run.
        init(device: String = "ledger", _ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: SimulateEndToEndTests.binaryPath)
            process.arguments = ["simulate", device] + arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let ready = Atomic(false)
            let child = process
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) {
                if !ready.load(ordering: .acquiring), child.isRunning { child.terminate() }
            }
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            ready.store(true, ordering: .releasing)
            readyLine = String(decoding: line, as: UTF8.self)
        }

        /// Sends `signal` and returns the exit status, the rest of stdout and all of stderr.
        func stop(signal: Int32 = SIGINT) -> Finished {
            if process.isRunning { kill(process.processIdentifier, signal) }
            let rest = output.fileHandleForReading.readDataToEndOfFile()
            let stderr = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Finished(exitCode: process.terminationStatus, stdout: String(decoding: rest, as: UTF8.self),
                            stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    @Test("Every device command against `walletbridge simulate ledger` over TCP, each in its own process")
    func endToEnd() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath), so the end-to-end test did not run: `swift build` (or `make test`) first.")
            return
        }
        // Blind signing on, so hashed EIP-712 works too; the Ethereum app is open.
        let simulator = try SimulatorProcess(["--port", "0", "--blind-signing", "on"])
        var stopped = false
        defer { if !stopped { _ = simulator.stop(signal: SIGKILL) } }

        let ready = try JSONValue(parsing: simulator.readyLine)
        let listening = try #require(ready["listening"]?.stringValue, "ready line: \(simulator.readyLine)")
        #expect(ready.objectValue?.keys == ["listening"])
        #expect(listening.hasPrefix("tcp:127.0.0.1:"))
        #expect(listening != "tcp:127.0.0.1:0")
        let transport = ["--transport", listening]

        let address = try Self.launch(["address", "--path", Support.ethPath] + transport)
        #expect(address.exitCode == 0, "\(address.stdout) \(address.stderr)")
        #expect(try address.json()["address"]?.stringValue == Support.speculosEthAddress)

        let listed = try Self.launch(["enumerate"] + transport)
        let entry = try #require(try listed.json().arrayValue?.first)
        #expect(entry["id"] == .string(listening))
        #expect(entry["state"] == "ready")

        // The Bitcoin commands: the Ethereum app is open, so the device is asked to switch (or says which app to open).
        let xpub = try Self.launch(["xpub", "--path", "m/84'/0'/0'"] + transport)
        if xpub.exitCode == 0 {
            let json = try xpub.json()
            #expect(json["fingerprint"] == "f5acc2fd")
            let recorded = try Support.recorded("recorded_btc_app_2_4_6.json", "btc_get_extended_pubkey_m84h_0h_0h")
            #expect(json["xpub"]?.stringValue == (try #require(recorded["expected"]).string("xpub")))
        } else {
            #expect(try xpub.json()["code"] == -6, "\(xpub.stdout)")
        }

        let message = "WalletBridge end-to-end"
        let ethSigned = try Self.launch(["sign-message", "--path", Support.ethPath, "--message", message] + transport)
        #expect(ethSigned.exitCode == 0, "\(ethSigned.stdout)")
        #expect(ethSigned.stderr.lowercased().contains("confirm on your ledger..."))
        let ethSignature = try EthereumSignature(hex: try ethSigned.json().string("signature"))
        #expect(try PersonalMessage.recoverSigner(message: Array(message.utf8), signature: ethSignature).checksummed
            == Support.speculosEthAddress)

        let btcSigned = try Self.launch(["sign-message", "--coin", "btc", "--path", "m/84'/0'/0'/0/0", "--message", message] + transport)
        if btcSigned.exitCode == 0 {
            let json = try btcSigned.json()
            let signature = [UInt8](try #require(Data(base64Encoded: try json.string("signature"))))
            #expect(try json.string("address") == "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
            #expect(BitcoinMessage.verify(signature: signature, message: Array(message.utf8), address: try json.string("address")))
        } else {
            #expect(try btcSigned.json()["code"] == -6, "\(btcSigned.stdout)")
        }

        let mail = try Support.mail()
        let file = try TemporaryFile(try #require(mail["typed_data"]).serialized())
        defer { file.remove() }
        var signatures: [String] = []
        for mode in ["full", "hashed"] {
            let signed = try Self.launch(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--mode", mode] + transport)
            #expect(signed.exitCode == 0, "\(mode): \(signed.stdout)")
            let json = try signed.json()
            #expect(json["digest"]?.stringValue == (try mail.string("digest")))
            let digest = try #require(Hex.decode(try json.string("digest")))
            let signature = try EthereumSignature(hex: try json.string("signature"))
            #expect(try signature.recoverSigner(digest: digest).checksummed == Support.speculosEthAddress, "\(mode)")
            signatures.append(try json.string("signature"))
        }
        // Both modes sign the same digest with RFC 6979 nonces: the same signature.
        #expect(signatures.count == 2 && signatures[0] == signatures[1])

        let finished = simulator.stop()
        stopped = true
        #expect(finished.exitCode == 0)
        #expect(finished.stdout.isEmpty, "nothing after the ready line: \(finished.stdout)")
        #expect(finished.stderr.contains("PUBLIC test seed"))
        #expect(finished.stderr.contains("NEVER send funds"))
        #expect(finished.stderr.contains("stopped (SIGINT)"))
    }

    @Test("simulate ledger --approve deny: a signature is refused (code -7); SIGTERM stops it")
    func deniedAndTerminated() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath): `swift build` first.")
            return
        }
        let simulator = try SimulatorProcess(["--port", "0", "--approve", "deny"])
        let listening = try #require(try JSONValue(parsing: simulator.readyLine)["listening"]?.stringValue)
        let refused = try Self.launch(["sign-message", "--path", Support.ethPath, "--message", "no", "--transport", listening])
        #expect(refused.exitCode == 1)
        #expect(try refused.json()["code"] == -7, "\(refused.stdout)")
        let finished = simulator.stop(signal: SIGTERM)
        #expect(finished.exitCode == 0)
        #expect(finished.stderr.contains("stopped (SIGTERM)"))
    }

    @Test("simulate ledger on a port already in use fails with an error JSON, not a ready line")
    func portInUse() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath): `swift build` first.")
            return
        }
        let first = try SimulatorProcess(["--port", "0"])
        defer { _ = first.stop() }
        let listening = try #require(try JSONValue(parsing: first.readyLine)["listening"]?.stringValue)
        let port = try #require(listening.split(separator: ":").last.map(String.init))
        let second = try Self.launch(["simulate", "ledger", "--port", port])
        #expect(second.exitCode == 1, "\(second.stdout)")
        #expect(try second.json()["error"] != nil)
        #expect(try second.json()["listening"] == nil)
    }

    @Test("simulate ledger --api-port 0 --approve buttons: a signature waits for buttons pressed through the REST API")
    func buttonsThroughTheRESTAPI() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath): `swift build` first.")
            return
        }
        let simulator = try SimulatorProcess(["--port", "0", "--api-port", "0", "--approve", "buttons"])
        defer { _ = simulator.stop() }
        let ready = try JSONValue(parsing: simulator.readyLine)
        let listening = try #require(ready["listening"]?.stringValue)
        let api = try #require(ready["api"]?.stringValue)
        let signing = Process()
        signing.executableURL = URL(fileURLWithPath: Self.binaryPath)
        signing.arguments = ["sign-message", "--path", Support.ethPath, "--message", "buttons", "--transport", listening]
        let output = Pipe()
        signing.standardOutput = output
        signing.standardError = FileHandle.nullDevice
        try signing.run()
        var screen: [String] = []
        for _ in 0..<500 where !screen.contains("Review message") {
            screen = try Self.http("GET", api + "/events?currentscreenonly=true")["events"]?.arrayValue?
                .compactMap { $0["text"]?.stringValue } ?? []
            if !screen.contains("Review message") { usleep(10_000) }
        }
        #expect(screen == ["Review message", "Message", "buttons"])
        #expect(signing.isRunning, "the signature waits for a decision")
        for button in ["right", "both"] {
            #expect(try Self.http("POST", api + "/button/" + button, body: #"{"action":"press-and-release"}"#) == .object([:]))
        }
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        signing.waitUntilExit()
        #expect(signing.terminationStatus == 0)
        let signature = try #require(try JSONValue(parsing: String(decoding: answer, as: UTF8.self))["signature"]?.stringValue)
        #expect(signature.count == 132, "0x and 65 bytes: \(signature)")
    }

    @Test("--approve buttons without --api-port is a usage error naming the missing option")
    func buttonsNeedTheAPI() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath): `swift build` first.")
            return
        }
        let refused = try Self.launch(["simulate", "ledger", "--port", "0", "--approve", "buttons"])
        #expect(refused.exitCode != 0)
        #expect(try refused.json()["error"]?.stringValue?.contains("--api-port") == true, "\(refused.stdout)")
    }

    /// One HTTP request through URLSession; the JSON answer.
    static func http(_ method: String, _ url: String, body: String? = nil) throws -> JSONValue {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        let received = Mutex<Data?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, _, _ in
            received.withLock { $0 = data }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 10)
        return try JSONValue(parsing: try #require(received.withLock { $0 }).map { [UInt8]($0) } ?? [])
    }
}
