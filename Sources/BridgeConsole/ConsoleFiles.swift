/// The operator console's files (CONTRACT 8), built into the binary from `Sources/BridgeConsole/Files` by the
/// EmbedFiles plugin: `serve` answers them under `/console/` from memory.
public enum ConsoleFiles {
    /// One file: its bytes and the `Content-Type` it is served with.
    public struct File: Sendable, Equatable {
        public let bytes: [UInt8]
        public let contentType: String
    }

    /// The file at `path` under the console (`index.html`, `console.js`, ...), or nil.
    public static func file(_ path: String) -> File? {
        guard let bytes = embeddedFiles[path] else { return nil }
        return File(bytes: bytes, contentType: contentType(of: path))
    }

    /// Every file's path, sorted (the page's weight is their sum).
    public static var paths: [String] { embeddedFiles.keys.sorted() }

    /// By extension; anything unknown is opaque bytes (and `nosniff` keeps the browser from guessing).
    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
