import BridgeCore
import Foundation

/// The shared test vectors (`../shared/vectors` beside the repository, as CI lays it out), read-only.
///
/// `WALLETBRIDGE_VECTORS` overrides the folder. A missing folder fails the tests that need it, loudly: the vectors
/// are what proves byte-exactness, so they are never silently skipped.
public enum TestVectors {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "Test vectors not found at \(path): clone the repository beside shared/ (as CI does) or set WALLETBRIDGE_VECTORS."
        }
    }

    /// The vectors folder.
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["WALLETBRIDGE_VECTORS"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        // This file is <repo>/Tests/TestVectors/TestVectors.swift; the vectors are <repo>/../shared/vectors.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/vectors", isDirectory: true)
    }

    /// The raw bytes of `relativePath` (e.g. `crypto/bip32.json`).
    public static func data(_ relativePath: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Missing(path: url.path) }
        return [UInt8](data)
    }

    /// `relativePath` parsed as JSON with exact numbers.
    public static func json(_ relativePath: String) throws -> JSONValue {
        try JSONValue(parsing: data(relativePath))
    }
}

extension JSONValue {
    /// Test shorthand: the string at `key`, or a failure naming the key.
    public func string(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw FieldMissing(key: key) }
        return value
    }

    /// Test shorthand: the hex bytes at `key` (with or without 0x).
    public func hex(_ key: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(try string(key)) else { throw FieldMissing(key: key + " (hex)") }
        return bytes
    }

    /// Test shorthand: the array at `key`.
    public func array(_ key: String) throws -> [JSONValue] {
        guard let value = self[key]?.arrayValue else { throw FieldMissing(key: key) }
        return value
    }

    /// Test shorthand: the integer at `key`.
    public func int(_ key: String) throws -> Int {
        guard let value = self[key]?.numberValue?.int64Value else { throw FieldMissing(key: key) }
        return Int(value)
    }
}

public struct FieldMissing: Error, CustomStringConvertible {
    public let key: String
    public var description: String { "vector field missing or of the wrong type: \(key)" }
}
