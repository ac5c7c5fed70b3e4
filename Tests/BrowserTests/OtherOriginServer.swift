import BridgeServer
import Foundation
import ProcessTestSupport

/// A page from an origin the bridges do not allow (`http://127.0.0.1:<another port>`): what a hostile site open in
/// the operator's browser would be. Served in-process with the service's own ``HTTPServer`` and ``Router``.
final class OtherOriginServer: Sendable {
    private let server: HTTPServer
    /// `http://127.0.0.1:PORT`, the page's origin.
    let origin: String

    /// The page: plain HTML with a marker the test waits for, and nothing fetched on its own.
    static let page = """
        <!doctype html><html><head><meta charset="utf-8"><title>another origin</title></head>
        <body><p id="other-origin">A page from another origin.</p></body></html>
        """

    private init(server: HTTPServer, origin: String) {
        self.server = server
        self.origin = origin
    }

    /// Starts listening on a loopback port of the kernel's choice.
    static func start() async throws -> OtherOriginServer {
        var router = Router()
        router.get("/") { _, _ in .text(page, contentType: "text/html; charset=utf-8") }
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, workerThreads: 1),
                                handler: router)
        let port = try await onOwnThread("other origin start") { try server.start() }
        return OtherOriginServer(server: server, origin: "http://127.0.0.1:\(port)")
    }

    /// Stops it; the browser's idle keep-alive connections are closed after a short drain.
    func stop() async {
        _ = try? await onOwnThread("other origin stop") { [server] in server.stop(drainTimeout: .seconds(1)) }
    }
}
