import BridgeCore
import Foundation
import Testing
import TestVectors

/// The real `walletbridge` executable as a child process: exit codes, stdin, stdout and stderr end to end.
@Suite("walletbridge binary")
struct BinaryPlumbingTests {
    /// `<repo>/.build/debug/walletbridge`; this file is `<repo>/Tests/WalletBridgeCLITests/BinaryPlumbingTests.swift`.
    static let binaryPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/walletbridge").path

    struct Finished {
        let exitCode: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the binary with `arguments`, feeding `stdin`, and waits for it.
    func launch(_ arguments: [String], stdin: [UInt8] = []) throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
        // The outputs are small (under a pipe's buffer), so reading them one after the other cannot deadlock.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(
            exitCode: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    @Test("Exit codes, stdin, one JSON line on stdout and help on stderr, through a real process")
    func plumbing() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaryPath) else {
            Issue.record("walletbridge is not built at \(Self.binaryPath), so the child-process checks did not run: `swift build` (or `make test`) first.")
            return
        }

        let version = try launch(["--version"])
        #expect(version.exitCode == 0)
        #expect(version.stdout == #"{"name":"walletbridge","version":"0.1.0"}"# + "\n")
        #expect(version.stderr.isEmpty)

        let mail = try #require(try TestVectors.json("crypto/eip712.json").array("cases").first { $0["name"] == "mail" })
        let typedData = try #require(mail["typed_data"]).serialized()
        let hashed = try launch(["typed-data-hash", "--file", "-"], stdin: Array(typedData.utf8))
        #expect(hashed.exitCode == 0, "\(hashed.stdout)")
        #expect(try JSONValue(parsing: hashed.stdout)["digest"]?.stringValue == mail.string("digest"))

        let missing = try launch(["typed-data-hash", "--file", "/nonexistent/typed-data.json"])
        #expect(missing.exitCode == 1)
        #expect(try JSONValue(parsing: missing.stdout)["code"] == -10)
        #expect(missing.stderr.isEmpty)

        let bare = try launch([])
        #expect(bare.exitCode == 2)
        #expect(bare.stderr.contains("USAGE: walletbridge COMMAND"))
        #expect(try JSONValue(parsing: bare.stdout)["code"] == -10)
    }
}
