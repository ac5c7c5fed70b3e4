import BridgeCore
import BridgeServer
import Dispatch
import Foundation

/// `walletbridge-bench http-bare --port N`: the HTTP load benchmark's baseline. The same ``HTTPServer`` (libmicrohttpd,
/// the service's worker-thread count) with a handler that returns a constant, so `make bench-http` can show what the
/// service's own work costs beside what libmicrohttpd and our request/response plumbing cost.
struct HTTPBareServer {
    /// The body every request gets: about the size of a wallet document.
    static let body: JSONValue = [
        "id": "bare", "external_user_id": "demo-alice", "amount": .number(JSONNumber(text: "5000.00") ?? JSONNumber(5000)),
        "currency": "USD", "decimals": 2,
    ]

    var host = "127.0.0.1"
    var port: UInt16
    /// What `serve --demo` uses (`http.workerThreads`), so both servers get the same threads.
    var workerThreads: Int

    /// Serves until SIGINT or SIGTERM; prints `{"listening":"http://HOST:PORT"}` on standard output once ready.
    func run() throws {
        let stopRequested = DispatchSemaphore(value: 0)
        let signalQueue = DispatchQueue(label: "walletbridge-bench.signals")
        // Ignore the default actions first so a signal right after the ready line stops the server cleanly.
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
            source.setEventHandler { stopRequested.signal() }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }

        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: host, port: port, workerThreads: workerThreads),
            handler: ConstantHandler(response: .json(Self.body)))
        let boundPort = try server.start()
        let ready = JSONValue.object(["listening": .string("http://\(host):\(boundPort)")]).serialized() + "\n"
        FileHandle.standardOutput.write(Data(ready.utf8))
        stopRequested.wait()
        server.stop(drainTimeout: .seconds(2))
    }
}

/// Answers every request with the same response, doing no work per request.
private struct ConstantHandler: HTTPHandler {
    let response: HTTPResponse
    func handle(_ request: HTTPRequest) -> HTTPResponse { response }
}
