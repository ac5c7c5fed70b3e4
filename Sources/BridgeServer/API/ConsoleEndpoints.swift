import BridgeConsole

/// The operator console (CONTRACT 8) at `/console/`: its files from memory (``ConsoleFiles``), each answered with
/// the headers that keep the page to itself.
public struct ConsoleEndpoints: Sendable {
    /// Where the console lives.
    public let prefix: String

    public init(prefix: String = "/console") {
        self.prefix = prefix
    }

    /// No script but the console's own files (nothing inline, no eval), no frames around it, requests only to this
    /// service and to a bridge on the operator's loopback, no plug-ins, forms or base URL tricks.
    public static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self' http://127.0.0.1:* http://localhost:*; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    public var endpoints: [Endpoint] {
        [
            Endpoint("GET", prefix) { _, _ in
                HTTPResponse(status: 308, headers: [("Location", prefix + "/")])
            },
            Endpoint("GET", prefix + "/") { _, _ in Self.serve("index.html") },
            Endpoint("GET", prefix + "/{file}") { _, parameters in Self.serve(parameters["file"] ?? "") },
        ]
    }

    /// The file, or a plain 404 (never a directory listing or another path: only the embedded names exist).
    static func serve(_ name: String) -> HTTPResponse {
        guard let file = ConsoleFiles.file(name) else {
            return .text("No such console file: \(name)\n", status: 404)
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", file.contentType)] + securityHeaders, body: file.bytes)
    }

    /// What every console answer carries.
    public static let securityHeaders: [(name: String, value: String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        // Revalidated each time: a new binary's console replaces the old one at once.
        ("Cache-Control", "no-cache"),
    ]
}
