import BridgeServer
import Testing

@Suite("Operator console files")
struct ConsoleEndpointTests {
    let router: Router = {
        var router = Router()
        for endpoint in ConsoleEndpoints().endpoints {
            router.add(endpoint.method, endpoint.pattern) { request, parameters in endpoint.handle(request, parameters.values) }
        }
        return router
    }()

    func get(_ path: String) -> HTTPResponse { router.handle(HTTPRequest(method: "GET", path: path)) }

    func header(_ response: HTTPResponse, _ name: String) -> String? {
        response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    @Test func servesTheIndexAndItsFilesWithHeadersThatKeepThePageToItself() throws {
        let index = get("/console/")
        #expect(index.status == 200)
        #expect(header(index, "Content-Type") == "text/html; charset=utf-8")
        let policy = try #require(header(index, "Content-Security-Policy"))
        #expect(policy.contains("script-src 'self';"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
        #expect(policy.contains("frame-ancestors 'none'"))
        #expect(header(index, "X-Frame-Options") == "DENY")
        #expect(header(index, "X-Content-Type-Options") == "nosniff")

        #expect(header(get("/console/console.js"), "Content-Type") == "text/javascript; charset=utf-8")
        #expect(header(get("/console/console.css"), "Content-Type") == "text/css; charset=utf-8")
        #expect(get("/console").status == 308)
        #expect(header(get("/console"), "Location") == "/console/")
        #expect(get("/console/secret.txt").status == 404)
        #expect(get("/console/index.html").responseText == index.responseText)
    }

    /// The CSP forbids inline script and style, so the page must have none: a `<script>` without `src`, an `on...=`
    /// handler or a `style=` attribute would be dead in the browser.
    @Test func thePageHasNoInlineScriptOrStyle() {
        let html = get("/console/").responseText
        #expect(!html.contains("<script>") && !html.contains("<style"))
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
        #expect(html.range(of: #"\sstyle="#, options: .regularExpression) == nil)
        // Nothing from elsewhere: no CDN, no external font.
        #expect(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) == nil)
        #expect(!get("/console/console.css").responseText.contains("url("))
    }

    /// CONTRACT 8's hooks are in the page (static ones) or made by its script (rows).
    @Test func carriesEveryHookTheContractNames() {
        let html = get("/console/").responseText
        let script = get("/console/console.js").responseText
        for hook in ["login-button", "operator-name", "pending-list", "order-detail", "approve-button", "reject-button",
                     "reject-reason", "order-status", "policy-version", "bridge-status", "error-message", "bridge-url",
                     "path-input"] {
            #expect(html.contains(#"data-testid="\#(hook)""#), "index.html lacks \(hook)")
        }
        #expect(script.contains(#"row.dataset.testid = "order-row""#) && script.contains("row.dataset.orderId"))
        #expect(html.contains(#"value="http://127.0.0.1:21335""#))
        #expect(html.contains(#"value="m/44'/60'/0'/0/0""#))
        // The token stays in memory.
        #expect(!script.contains("localStorage") && !script.contains("sessionStorage") && !script.contains("document.cookie"))
    }

    @Test func aTrailingSlashRoutesOnlyToAFolderRoute() {
        var router = Router()
        router.get("/console/") { _, _ in .text("index") }
        router.get("/health") { _, _ in .text("ok") }
        #expect(router.handle(HTTPRequest(method: "GET", path: "/console/")).status == 200)
        #expect(router.handle(HTTPRequest(method: "GET", path: "/health/")).status == 404)
        #expect(router.handle(HTTPRequest(method: "GET", path: "/console//")).status == 404)
    }
}
