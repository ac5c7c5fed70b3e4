import BridgeCore
import BridgeServer
import Testing

@Suite("Router")
struct RouterTests {
    static func echo(_ name: String) -> Router.Handler {
        { request, parameters in
            let values = parameters.values.keys.sorted().map { "\($0)=\(parameters[$0] ?? "")" }.joined(separator: ",")
            return .text("\(name) \(request.method) \(values)")
        }
    }

    static var router: Router {
        var router = Router()
        router.get("/health", echo("health"))
        router.get("/wallets/getOne", echo("getOne"))
        router.get("/wallets/{id}", echo("wallet"))
        router.post("/wallets", echo("list"))
        router.patch("/wallets/balance", echo("balance"))
        router.post("/operator/transfers/{order_id}/approve", echo("approve"))
        router.get("/operator/transfers/{order_id}/approval", echo("approval"))
        return router
    }

    func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func routesByMethodAndPath() {
        let router = Self.router
        #expect(body(router.handle(HTTPRequest(method: "GET", path: "/health"))) == "health GET ")
        #expect(body(router.handle(HTTPRequest(method: "POST", path: "/wallets"))) == "list POST ")
        #expect(body(router.handle(HTTPRequest(method: "PATCH", path: "/wallets/balance"))) == "balance PATCH ")
    }

    @Test func parameterSegmentsAreCaptured() {
        let router = Self.router
        let response = router.handle(HTTPRequest(method: "POST", path: "/operator/transfers/ord-42/approve"))
        #expect(body(response) == "approve POST order_id=ord-42")
        #expect(body(router.handle(HTTPRequest(method: "GET", path: "/wallets/17"))) == "wallet GET id=17")
    }

    @Test func literalSegmentsBeatParameters() {
        #expect(body(Self.router.handle(HTTPRequest(method: "GET", path: "/wallets/getOne"))) == "getOne GET ")
    }

    /// CONTRACT 4: each route has one path. A trailing slash, an empty segment or a dot segment routes nowhere.
    @Test("Trailing slashes, empty and dot segments are 404, in the shape of the path they aim at", arguments: [
        "/health/", "//health", "/wallets//getOne", "/wallets/getOne/", "/./health", "/wallets/../health", "/wallets/5/",
        "/operator//transfers", "/operator/transfers/x/approve/",
    ])
    func nonCanonicalPathsAreNotFound(_ path: String) {
        let response = Self.router.handle(HTTPRequest(method: "GET", path: path))
        #expect(response.status == 404)
        let expected = path.hasPrefix("/operator/") ? #""code":-10"# : #""type":"not_found""#
        #expect(body(response).contains(expected), "\(body(response))")
    }

    @Test func unknownPathIs404InTheCRMShape() {
        let response = Self.router.handle(HTTPRequest(method: "GET", path: "/nope"))
        #expect(response.status == 404)
        #expect(body(response) == #"{"error":true,"code":404,"type":"not_found"}"#)
        let operatorPath = Self.router.handle(HTTPRequest(method: "GET", path: "/operator/transfers/x/approve/more"))
        #expect(operatorPath.status == 404)
        #expect(operatorPath.responseJSON["code"] == -10)
        #expect(operatorPath.responseJSON["error"] == "No such endpoint")
    }

    @Test func knownPathWithAnotherMethodIs405WithAllow() {
        let response = Self.router.handle(HTTPRequest(method: "DELETE", path: "/wallets/balance"))
        #expect(response.status == 405)
        #expect(body(response) == #"{"error":true,"code":405,"type":"method_not_allowed"}"#)
        #expect(response.headers.contains { $0.name == "Allow" && $0.value == "PATCH" })
    }

    @Test func headFallsBackToGet() {
        #expect(body(Self.router.handle(HTTPRequest(method: "HEAD", path: "/health"))) == "health HEAD ")
    }

    @Test func routeLabelIsThePatternNotThePath() {
        let router = Self.router
        #expect(router.route(HTTPRequest(method: "POST", path: "/operator/transfers/ord-1/approve")).routeLabel
            == "/operator/transfers/{order_id}/approve")
        #expect(router.route(HTTPRequest(method: "GET", path: "/secret/12345")).routeLabel == Router.unmatchedRouteLabel)
        #expect(router.route(HTTPRequest(method: "PUT", path: "/health")).routeLabel == "/health")
        #expect(router.match(method: "GET", path: "/wallets/5").routeLabel == "/wallets/{id}")
    }

    @Test func customNotFoundResponse() {
        var router = Router(notFound: .json(["error": "No such endpoint", "code": -10, "hint": "See the API."], status: 404))
        router.get("/a", Self.echo("a"))
        let response = router.handle(HTTPRequest(method: "GET", path: "/b"))
        #expect(response.status == 404)
        #expect(body(response) == #"{"error":"No such endpoint","code":-10,"hint":"See the API."}"#)
    }
}
