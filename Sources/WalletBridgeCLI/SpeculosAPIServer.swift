import BridgeCore
import BridgeServer
import BridgeSimulator
import FoundationEssentials

/// Speculos's REST API (``SpeculosAPI``) on the service's HTTP server, for `simulate ledger --api-port N`.
///
/// Requests with a body (`POST /apdu`, `POST /button/...`) run on the server's blocking threads, so an APDU that waits
/// for buttons holds one of them while button presses and `GET /events` are still answered.
struct SpeculosAPIServer: Sendable {
    let server: HTTPServer

    /// A server for `device` on `host:port` (0: any free port); nothing listens until ``start()``.
    init(device: SimulatedLedger, host: String, port: UInt16) {
        let api = SpeculosAPI(device: device)
        var router = Router()
        router.post("/apdu") { request, _ in
            // As Speculos: the head goes out at once and the answer when the device gives it, so a client can press
            // buttons while its APDU waits.
            guard let apdu = SpeculosAPI.apduBytes(request.body) else {
                return .json(SpeculosAPI.apduRefusal.body, status: SpeculosAPI.apduRefusal.status)
            }
            let stream = HTTPBodyStream()
            let started = NativeThread.start("speculos-apdu") {
                stream.write(Array(api.exchange(apdu).serialized().utf8))
                stream.finish()
            }
            if !started {
                let busy = SpeculosAPI.Response.error(503, "no thread is free to run the APDU; try again")
                return .json(busy.body, status: busy.status)
            }
            return .streaming(stream, contentType: "application/json")
        }
        router.get("/events") { request, _ in
            let query = request.query.dictionary
            guard SpeculosAPI.wantsStream(query) else {
                let answer = api.respond(method: request.method, path: request.path, query: query)
                return .json(answer.body, status: answer.status)
            }
            // speculos/api/events.py `EventClient`: every text event drawn from now on, until the client goes.
            let stream = HTTPBodyStream()
            device.display.addListener { event in
                // A client that went away (or a stopping server) ends the listening at the next event.
                guard stream.isOpen else { return false }
                stream.write(Array(SpeculosAPI.eventStreamRecord(event).utf8))
                return true
            }
            return .streaming(stream, contentType: "text/event-stream")
        }
        for route in SpeculosAPI.routes where route.path != "/apdu" && !(route.method == "GET" && route.path == "/events") {
            router.add(route.method, route.path) { request, _ in
                let answer = api.respond(method: request.method, path: request.path, query: request.query.dictionary, body: request.body)
                return .json(answer.body, status: answer.status)
            }
        }
        // An APDU may wait minutes for a person (Speculos's own default is 5 minutes of ticks).
        let configuration = HTTPServerConfiguration(host: host, port: port, workerThreads: 2, blockingThreads: 4,
                                                    maximumBodyBytes: 64 * 1024, connectionTimeoutSeconds: 600,
                                                    maxConnections: 64, maxConnectionsPerIP: 32)
        server = HTTPServer(configuration: configuration, handler: router)
    }

    /// Starts listening; the bound port. A taken port is a -9 with the remedy.
    func start() throws(GenericBridgeError) -> UInt16 {
        do {
            return UInt16(try server.start())
        } catch {
            throw GenericBridgeError(.badArgument, "Cannot serve Speculos's REST API on \(server.configuration.host):\(server.configuration.port): \(error.message)",
                                     hint: "Stop what listens there, or choose another port (--api-port 0 picks a free one).")
        }
    }

    func stop() { server.stop(drainTimeout: .seconds(2)) }
}
