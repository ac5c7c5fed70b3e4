import BridgeCore
import Foundation
import ProcessTestSupport
import Testing

/// The demo operators (CONTRACT 3, `serve --demo`): the same simulated Ledger seed, different account paths.
enum Operator: String, Sendable, CaseIterable {
    case alice, bob

    var path: String { self == .alice ? "m/44'/60'/0'/0/0" : "m/44'/60'/1'/0/0" }
    var role: String { self == .alice ? "admin" : "approver" }
}

/// What the console shows, read in one script so that every field comes from the same moment (CONTRACT 8's
/// `data-testid`s).
struct ConsoleSnapshot: Sendable, CustomStringConvertible {
    let url: String
    /// `document.documentElement.dataset.ready` / `.live`.
    let ready: String?
    let live: String?
    let bridgeState: String?
    let bridgeURL: String?
    let path: String?
    let operatorName: String?
    let operatorRole: String?
    let policyVersion: String?
    /// The `data-order-id`s of the `order-row`s in `pending-list`, in page order.
    let pendingRows: [String]
    let detailVisible: Bool
    let detailOrderID: String?
    let detailText: String
    /// `order-status` inside `order-detail`: `data-status` and the words.
    let status: String?
    let statusText: String
    let errorText: String
    let errorCode: String?
    let errorVisible: Bool

    /// Reads every field; missing elements give nil (or empty).
    static let script = """
        const byId = id => document.querySelector('[data-testid="' + id + '"]');
        // innerText: the words as rendered (separate blocks stay separate), whitespace collapsed.
        const text = e => e ? (e.innerText ?? e.textContent ?? '').replace(/\\s+/g, ' ').trim() : '';
        const attr = (e, name) => e ? e.getAttribute(name) : null;
        const visible = e => !!e && !e.hidden && e.getClientRects().length > 0
            && getComputedStyle(e).visibility !== 'hidden';
        const detail = byId('order-detail');
        const status = detail ? detail.querySelector('[data-testid="order-status"]') : null;
        const error = byId('error-message');
        const name = byId('operator-name');
        return {
            url: location.href,
            ready: document.documentElement.dataset.ready ?? null,
            live: document.documentElement.dataset.live ?? null,
            bridgeState: attr(byId('bridge-status'), 'data-state'),
            bridgeURL: byId('bridge-url') ? byId('bridge-url').value : null,
            path: byId('path-input') ? byId('path-input').value : null,
            operatorName: name ? text(name) : null,
            operatorRole: attr(name, 'data-role'),
            policyVersion: attr(byId('policy-version'), 'data-version'),
            pendingRows: [...document.querySelectorAll('[data-testid="pending-list"] [data-testid="order-row"]')]
                .map(row => row.getAttribute('data-order-id')),
            detailVisible: visible(detail),
            detailOrderID: detail ? (detail.getAttribute('data-order-id')) : null,
            detailText: text(detail),
            status: attr(status, 'data-status'),
            statusText: text(status),
            errorText: text(error),
            errorCode: attr(error, 'data-code'),
            errorVisible: visible(error),
        };
        """

    init(_ json: JSONValue) {
        func string(_ key: String) -> String? { json[key]?.stringValue }
        url = string("url") ?? ""
        ready = string("ready")
        live = string("live")
        bridgeState = string("bridgeState")
        bridgeURL = string("bridgeURL")
        path = string("path")
        operatorName = string("operatorName")
        operatorRole = string("operatorRole")
        policyVersion = string("policyVersion")
        pendingRows = json["pendingRows"]?.arrayValue?.compactMap(\.stringValue) ?? []
        detailVisible = json["detailVisible"]?.boolValue ?? false
        detailOrderID = string("detailOrderID")
        detailText = string("detailText") ?? ""
        status = string("status")
        statusText = string("statusText") ?? ""
        errorText = string("errorText") ?? ""
        errorCode = string("errorCode")
        errorVisible = json["errorVisible"]?.boolValue ?? false
    }

    /// True when `order-detail` is shown for `orderID` (by its `data-order-id`, or its text when it has none).
    func showsDetail(of orderID: String) -> Bool {
        detailVisible && status != nil && (detailOrderID.map { $0 == orderID } ?? detailText.contains(orderID))
    }

    var description: String {
        """
        url=\(url) ready=\(ready ?? "nil") live=\(live ?? "nil") bridge-status=\(bridgeState ?? "nil") \
        bridge-url=\(bridgeURL ?? "nil") path-input=\(path ?? "nil") operator-name=\(operatorName ?? "nil")/\(operatorRole ?? "nil") \
        policy-version=\(policyVersion ?? "nil") pending-list=\(pendingRows) order-detail(visible=\(detailVisible), \
        order=\(detailOrderID ?? "nil")) order-status=\(status ?? "nil") "\(statusText)" \
        error-message(visible=\(errorVisible), code=\(errorCode ?? "nil")) "\(errorText)"
        """
    }
}

/// One operator's console in one browser: the user's actions (type, click) through WebDriver, and waits that poll
/// the page until it shows what is expected, so the tests do not depend on timing.
struct ConsolePage: Sendable {
    let session: WebDriverSession
    /// Who uses this browser, for messages.
    let label: String
    /// `http://127.0.0.1:PORT/console/`
    let consoleURL: String

    static func testID(_ id: String) -> String { "[data-testid=\"\(id)\"]" }
    static func rowSelector(_ orderID: String) -> String {
        "\(testID("pending-list")) \(testID("order-row"))[data-order-id=\"\(orderID)\"]"
    }

    func snapshot() async throws -> ConsoleSnapshot { ConsoleSnapshot(try await session.execute(ConsoleSnapshot.script)) }

    /// Polls the page every 100 ms until `condition` holds and returns that snapshot; after `timeout` fails with what
    /// the page last showed and its console log.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(15),
                 _ condition: (ConsoleSnapshot) -> Bool) async throws -> ConsoleSnapshot {
        let deadline = ContinuousClock.now + timeout
        var found: ConsoleSnapshot?
        var last: ConsoleSnapshot?
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                let snapshot = try await snapshot()
                if condition(snapshot) { found = snapshot; break }
                last = snapshot
            } catch {
                // A navigation in progress makes scripts fail for a moment; keep polling.
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = found == nil ? await session.browserLog().suffix(20).joined(separator: "\n  ") : ""
        return try #require(found, """
            \(label)'s console did not show \(what) within \(timeout).
            Last seen: \(last.map(\.description) ?? "no snapshot (\(lastError.map { "\($0)" } ?? "none"))")
            Browser console:\n  \(log.isEmpty ? "(empty)" : log)
            """)
    }

    /// Loads the console afresh and waits until its script has initialised (`data-ready="true"`).
    func open() async throws {
        try await session.navigate(to: consoleURL)
        try await waitFor("data-ready=\"true\" on <html> (the console's script initialised)") { $0.ready == "true" }
    }

    /// The element, failing with the page's state when it is not there.
    func element(_ selector: String) async throws -> WebElement {
        let element = try await session.findElement(selector)
        let page = element == nil ? "\(try await snapshot())" : ""
        return try #require(element, "\(label)'s console has no element \(selector). Page: \(page)")
    }

    /// Replaces an input's text the way a user does: clear it, type, and Tab out (which fires `change`).
    func type(_ text: String, into id: String) async throws {
        let field = try await element(Self.testID(id))
        try await session.clear(field)
        try await session.sendKeys(text + "\u{E004}", to: field)
    }

    func click(_ id: String) async throws {
        try await session.click(try await element(Self.testID(id)))
    }

    /// Points the console at `bridge` (its `bridge-url`) and waits until it reports the bridge `connected`.
    func useBridge(_ bridge: String) async throws {
        try await type(bridge, into: "bridge-url")
        try await waitFor("bridge-status data-state=\"connected\" for \(bridge)") {
            $0.bridgeURL == bridge && $0.bridgeState == "connected"
        }
    }

    /// Signs `operator` in through `bridge` (the device signs the login challenge), unless this page already is, and
    /// waits until the live event stream is connected: the scenarios expect orders to arrive through it.
    func signIn(as operator: Operator, bridge: String) async throws {
        if let current = try? await snapshot(), current.ready == "true", current.operatorName == `operator`.rawValue {
            if current.bridgeURL != bridge { try await useBridge(bridge) }
            if current.path != `operator`.path { try await type(`operator`.path, into: "path-input") }
        } else {
            try await open()
            try await type(`operator`.path, into: "path-input")
            try await useBridge(bridge)
            try await click("login-button")
            try await waitFor("operator-name \"\(`operator`.rawValue)\" after login-button") {
                $0.operatorName == `operator`.rawValue
            }
        }
        try await waitFor("data-live=\"true\" on <html> (the event stream connected) after signing in") { $0.live == "true" }
    }

    /// Waits for the order's row in `pending-list`, clicks it and waits until `order-detail` shows it.
    func openOrder(_ orderID: String) async throws {
        try await waitFor("order-row \(orderID) in pending-list") { $0.pendingRows.contains(orderID) }
        do {
            try await session.click(try await element(Self.rowSelector(orderID)))
        } catch where "\(error)".contains("stale element") {
            // The row was re-rendered between finding and clicking it (a live update): find it again.
            try await session.click(try await element(Self.rowSelector(orderID)))
        }
        try await waitFor("order-detail with order-status for \(orderID) after clicking its row") { $0.showsDetail(of: orderID) }
    }
}
