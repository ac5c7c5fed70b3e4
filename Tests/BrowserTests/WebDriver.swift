import BridgeCore
import Foundation
import ProcessTestSupport

/// An error chromedriver answered (W3C WebDriver: `{"value": {"error", "message", ...}}` with a 4xx/5xx status).
struct WebDriverError: Error, CustomStringConvertible {
    let command: String
    let status: Int
    let error: String
    let message: String

    var description: String { "WebDriver \(command) -> \(status) \(error): \(message)" }
}

/// A chromedriver process's HTTP endpoint (W3C WebDriver classic protocol, JSON over HTTP).
struct WebDriver: Sendable {
    /// `http://127.0.0.1:PORT`
    let baseURL: String

    /// True once chromedriver answers `GET /status` with `ready: true`.
    func isReady() async -> Bool {
        guard let reply = try? await LoopbackHTTP.send("GET", baseURL + "/status", timeout: .seconds(5)),
              let json = try? reply.json() else { return false }
        return json["value"]?["ready"]?.boolValue == true
    }

    /// A new browser session: Chromium headless, as root (no sandbox), on its own profile directory, with no proxy
    /// and no name resolution, so the only addresses it can reach are the loopback ones the tests give it.
    func newSession(chromium: String, profileDirectory: String) async throws -> WebDriverSession {
        let arguments: [JSONValue] = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1200",
            .string("--user-data-dir=\(profileDirectory)"), "--no-proxy-server",
            // Every host name but 127.0.0.1 fails to resolve: the pages are all on loopback.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-component-update", "--disable-domain-reliability",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider", "--no-pings",
            "--no-first-run", "--no-default-browser-check",
        ]
        let capabilities: JSONValue = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": ["script": 20000, "pageLoad": 20000, "implicit": 0],
                    "goog:chromeOptions": ["binary": .string(chromium), "args": .array(arguments)],
                    // The page's console messages, read back through chromedriver's log endpoint for diagnostics.
                    "goog:loggingPrefs": ["browser": "ALL"],
                ],
            ],
        ]
        let value = try await WebDriverSession.call(baseURL: baseURL, "POST", "/session", capabilities,
                                                    timeout: .seconds(60))
        guard let id = value["sessionId"]?.stringValue else {
            throw WebDriverError(command: "POST /session", status: 200, error: "no sessionId", message: value.serialized())
        }
        return WebDriverSession(baseURL: baseURL, id: id)
    }
}

/// An element reference from a WebDriver session.
struct WebElement: Sendable {
    /// The W3C key under which an element reference travels in JSON.
    static let key = "element-6066-11e4-a52e-4f735466cecf"
    let id: String
    var json: JSONValue { [Self.key: .string(id)] }
}

/// One browser (one WebDriver session): navigation, elements, scripts, screenshots, logs.
struct WebDriverSession: Sendable {
    let baseURL: String
    let id: String

    /// One command; returns its `value`.
    static func call(baseURL: String, _ method: String, _ path: String, _ body: JSONValue? = nil,
                     timeout: Duration = .seconds(40)) async throws -> JSONValue {
        let bytes = body.map { Array($0.serialized().utf8) } ?? (method == "POST" ? Array("{}".utf8) : [])
        let reply = try await LoopbackHTTP.send(method, baseURL + path,
                                                headers: [("Content-Type", "application/json; charset=utf-8")],
                                                body: bytes, timeout: timeout)
        let json = try? reply.json()
        let value = json?["value"] ?? .null
        guard (200..<300).contains(reply.status) else {
            throw WebDriverError(command: "\(method) \(path)", status: reply.status,
                                 error: value["error"]?.stringValue ?? "unknown error",
                                 message: value["message"]?.stringValue.map { String($0.prefix(600)) } ?? reply.text)
        }
        return value
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await Self.call(baseURL: baseURL, method, "/session/\(id)\(path)", body)
    }

    func navigate(to url: String) async throws { try await call("POST", "/url", ["url": .string(url)]) }

    func currentURL() async throws -> String { try await call("GET", "/url").stringValue ?? "" }

    /// The first element matching the CSS `selector`, or nil when there is none.
    func findElement(_ selector: String) async throws -> WebElement? {
        do {
            let value = try await call("POST", "/element", ["using": "css selector", "value": .string(selector)])
            return value[WebElement.key]?.stringValue.map(WebElement.init(id:))
        } catch let error as WebDriverError where error.error == "no such element" {
            return nil
        }
    }

    func click(_ element: WebElement) async throws { try await call("POST", "/element/\(element.id)/click") }

    func clear(_ element: WebElement) async throws { try await call("POST", "/element/\(element.id)/clear") }

    /// Types `text` as key presses (WebDriver's special keys, e.g. `\u{E004}` Tab, included).
    func sendKeys(_ text: String, to element: WebElement) async throws {
        try await call("POST", "/element/\(element.id)/value", ["text": .string(text)])
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page and returns what it returns.
    @discardableResult
    func execute(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await call("POST", "/execute/sync", ["script": .string(script), "args": .array(args)])
    }

    /// Runs `script` asynchronously: it ends by calling `arguments[arguments.length - 1](result)`.
    func executeAsync(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await call("POST", "/execute/async", ["script": .string(script), "args": .array(args)])
    }

    /// The viewport as PNG bytes.
    func screenshotPNG() async throws -> [UInt8] {
        let base64 = try await call("GET", "/screenshot").stringValue ?? ""
        guard let data = Data(base64Encoded: base64) else {
            throw WebDriverError(command: "GET /screenshot", status: 200, error: "not base64", message: String(base64.prefix(80)))
        }
        return Array(data)
    }

    /// The browser console's messages since the last call (chromedriver's `goog:loggingPrefs` log, a
    /// chromedriver extension outside the W3C protocol), as `LEVEL message` lines; empty when unavailable.
    func browserLog() async -> [String] {
        guard let entries = try? await call("POST", "/se/log", ["type": "browser"]).arrayValue else { return [] }
        return entries.map { "\($0["level"]?.stringValue ?? "?") \($0["message"]?.stringValue ?? "")" }
    }

    /// Ends the session; chromedriver closes its browser.
    func delete() async throws { try await Self.call(baseURL: baseURL, "DELETE", "/session/\(id)", timeout: .seconds(15)) }
}
