import BridgeApprovals
import BridgeCore
import BridgeCrypto
import FoundationEssentials
import Glibc

/// Where the operator CLI keeps its bearer tokens between runs (CONTRACT 3): `$XDG_STATE_HOME/walletbridge/`
/// (default `~/.local/state/walletbridge/`), one file per server and operator address, readable by the owner only
/// (file 0600, directory 0700), reused until it expires.
///
/// A token is a credential: it is written atomically (a 0600 temporary file renamed into place), never printed, and
/// removed as soon as the server refuses it.
public struct SessionTokenCache: Sendable {
    /// A cached session.
    public struct Entry: Sendable, Equatable {
        public let token: String
        /// When the server said it expires; nil when it did not say (then it is used until refused).
        public let expiresAt: Timestamp?

        public init(token: String, expiresAt: Timestamp?) {
            self.token = token
            self.expiresAt = expiresAt
        }
    }

    /// A token this close to its expiry is not reused: a request must not start with a session about to end.
    public static let expiryMargin: Duration = .seconds(30)

    /// The directory holding the token files.
    public let directory: String
    let clock: any BridgeApprovals.Clock

    public init(directory: String, clock: any BridgeApprovals.Clock = SystemClock()) {
        self.directory = directory
        self.clock = clock
    }

    /// `$XDG_STATE_HOME/walletbridge`, else `$HOME/.local/state/walletbridge` (XDG Base Directory Specification: a
    /// relative XDG_STATE_HOME is invalid and ignored).
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/walletbridge"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? CurrentUser.homeDirectory
        return home + "/.local/state/walletbridge"
    }

    /// The file for `server` and `address`: a hash of both, so neither needs escaping and one operator's file never
    /// serves another server.
    public func filePath(server: String, address: String) -> String {
        let key = Hash.sha256(Array("\(server)\n\(address.lowercased())".utf8))
        return directory + "/session-" + Hex.encode(key.prefix(16)) + ".json"
    }

    /// The cached token for `server` and `address`, unless missing, unreadable or (nearly) expired.
    public func token(server: String, address: String) -> Entry? {
        let path = filePath(server: server, address: address)
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONValue(parsing: [UInt8](data)),
              json["server"]?.stringValue == server, json["address"]?.stringValue?.lowercased() == address.lowercased(),
              let token = json["token"]?.stringValue, !token.isEmpty
        else { return nil }
        let expiresAt = json["expires_at_ms"]?.numberValue?.int64Value.map(Timestamp.init(millisecondsSinceEpoch:))
        if let expiresAt, clock.now() + Self.expiryMargin >= expiresAt {
            remove(server: server, address: address)
            return nil
        }
        return Entry(token: token, expiresAt: expiresAt)
    }

    /// Keeps `entry` for `server` and `address`, replacing any earlier one.
    public func store(_ entry: Entry, server: String, address: String) throws(GenericBridgeError) {
        try prepareDirectory()
        var document: JSONObject = [
            "server": .string(server), "address": .string(address), "token": .string(entry.token),
        ]
        if let expiresAt = entry.expiresAt {
            document["expires_at"] = .string(expiresAt.rfc3339)
            document["expires_at_ms"] = .number(JSONNumber(expiresAt.millisecondsSinceEpoch))
        }
        let path = filePath(server: server, address: address)
        try Self.writePrivately(Array((JSONValue.object(document).serialized() + "\n").utf8), to: path)
    }

    /// Forgets the token for `server` and `address` (the server refused it).
    public func remove(server: String, address: String) {
        _ = unlink(filePath(server: server, address: address))
    }

    /// Creates the directory 0700, and tightens it to 0700 if it exists looser: other users must not list it.
    func prepareDirectory() throws(GenericBridgeError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw GenericBridgeError(.permissionDenied, "Cannot create \(directory) for the session token: \(error.systemDescription)",
                                     hint: "Set XDG_STATE_HOME to a directory you can write, or fix the permissions of \(directory).")
        }
        guard chmod(directory, 0o700) == 0 else {
            throw GenericBridgeError(.permissionDenied, "Cannot restrict \(directory) to its owner: \(String(cString: strerror(errno)))",
                                     hint: "Fix the ownership of \(directory) (it must belong to you).")
        }
    }

    /// Writes `bytes` to a fresh 0600 file next to `path`, then renames it over `path`: the token is never readable
    /// by others, not even for a moment, and a crash leaves the old file or the new one.
    static func writePrivately(_ bytes: [UInt8], to path: String) throws(GenericBridgeError) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw GenericBridgeError(.permissionDenied, "Cannot write \(temporary): \(String(cString: strerror(errno)))",
                                     hint: "Fix the permissions of \(FilePathText.parent(of: path)).")
        }
        // O_CREAT's mode is filtered by the umask and ignored for an existing file: set it explicitly.
        var failure: String? = fchmod(descriptor, 0o600) == 0 ? nil : "chmod: \(String(cString: strerror(errno)))"
        var written = 0
        while failure == nil, written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = "write: \(String(cString: strerror(errno)))"
            } else {
                written += count
            }
        }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = "rename: \(String(cString: strerror(errno)))" }
        if let failure {
            _ = unlink(temporary)
            throw GenericBridgeError(.permissionDenied, "Cannot save the session token at \(path): \(failure)",
                                     hint: "Fix the permissions of \(FilePathText.parent(of: path)).")
        }
    }
}
