import BridgeCore
import Foundation
import ProcessTestSupport
import Testing

/// The operator console in a real headless Chromium, driven over WebDriver, against `walletbridge serve --demo`,
/// bridges to simulated Ledgers and the CRM's signed requests (CONTRACT 8). One serialized suite: the processes are
/// started once, on first use, and stopped when the suite ends.
@Suite(
    "Operator console in Chromium",
    .serialized,
    .enabled(if: BrowserTools.missingReason == nil, Comment(rawValue: BrowserTools.missingReason ?? "")),
    .timeLimit(.minutes(2)),
    .consoleHarness
)
struct ConsoleBrowserTests {
    /// A fresh order id, so that reruns on the same service never collide.
    static func newOrderID(_ what: String) -> String {
        "browser-\(what)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// True when `text` counts `counted` of `required` approvals in words or as a fraction ("1 of 2", "1/2").
    static func counts(_ text: String, _ counted: Int, of required: Int) -> Bool {
        guard let pattern = try? Regex("(^|[^0-9])\(counted)\\s*(of|/)\\s*\(required)([^0-9]|$)") else { return false }
        return text.contains(pattern)
    }

    /// Polls the CRM's `GET /wallets/order` until `condition` holds (up to 15 s); fails with its last answer and, when
    /// given, what the operator's console showed.
    @discardableResult
    static func waitForOrder(_ orderID: String, in environment: ConsoleEnvironment, _ what: String,
                             page: ConsolePage? = nil, _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(15)
        var last: JSONValue = .null
        while ContinuousClock.now < deadline {
            last = try await environment.crm.orderStatus(orderID)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        let shown = try? await page?.snapshot()
        throw HarnessError("""
            The CRM's GET /wallets/order?order_id=\(orderID) did not say \(what) within 15 s: \(last.serialized())
            \(page.map { "\($0.label)'s console: \(shown.map(\.description) ?? "unreadable")" } ?? "")
            """)
    }

    /// Posts a transfer the policy holds for two approvals (above 1,000 USD) and checks the CRM's 202.
    static func postLargeTransfer(_ orderID: String, user: String, amount: String,
                                  in environment: ConsoleEnvironment) async throws {
        let answer = try await environment.crm.transfer(user: user, currency: "USD", amount: amount, orderID: orderID)
        #expect(answer.status == 202, "PATCH /wallets/balance answered \(answer.status) \(answer.text)")
        #expect(try answer.json()["status"]?.stringValue == "pending_approval")
        #expect(try answer.json()["approvals_required"] == 2)
    }

    @Test("The harness: serve, the bridges and a browser start; the CRM's signed requests are accepted")
    func harness() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let health = try await LoopbackHTTP.send("GET", environment.serviceURL + "/health")
        #expect(health.status == 200)
        #expect(try health.json()["status"] == "ok")
        for bridge in [environment.aliceBridge, environment.bobBridge, environment.denyingBridge] {
            let named = try await LoopbackHTTP.send("GET", bridge + "/")
            #expect(named.status == 200, "\(bridge): \(named.text)")
            #expect(try named.json()["name"] == "walletbridge-bridge")
        }

        // A small transfer applies at once: the signature was accepted.
        let small = try await environment.crm.transfer(user: "demo-alice", currency: "USD", amount: "10",
                                                       orderID: Self.newOrderID("small"))
        #expect(small.status == 200, "\(small.text)")
        #expect(try small.json()["status"] == "completed")
        // The same body with a wrong signature is refused, so the signing above is what made it pass.
        let forged = try await LoopbackHTTP.send(
            "PATCH", environment.serviceURL + "/wallets/balance",
            headers: [("key", environment.crm.apiKey), ("signature", String(repeating: "0", count: 40)),
                      ("Content-Type", "application/json")],
            body: Array(#"{"external_user_id":"demo-alice","currency":"USD","amount":10,"order_id":"browser-forged"}"#.utf8))
        #expect(forged.status == 401, "\(forged.text)")
        #expect(try await environment.crm.order("browser-no-such-order").status == 404)

        let console = try await LoopbackHTTP.send("GET", environment.consoleURL)
        #expect(console.status == 200)
        #expect(console.headers["content-type"]?.hasPrefix("text/html") == true)

        // A browser loads a page of the service.
        let visitor = try await ConsoleHarness.shared().visitor()
        try await visitor.navigate(to: environment.serviceURL + "/health")
        let body = try await visitor.execute("return document.body ? document.body.innerText : '';")
        #expect(body.stringValue?.contains("ok") == true, "\(body.serialized())")
    }

    @Test("Two operators on their own bridges sign in, see the policy and a large order arrive live; 1 of 2, then completed")
    func twoOperatorsApprove() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let alice = try await environment.signedIn(.alice)
        let bob = try await environment.signedIn(.bob)
        for (member, page) in [(Operator.alice, alice), (.bob, bob)] {
            let shown = try await page.waitFor("operator-name data-role and policy-version data-version") {
                $0.operatorRole != nil && $0.policyVersion != nil
            }
            #expect(shown.operatorName == member.rawValue)
            #expect(shown.operatorRole == member.role)
            #expect(shown.policyVersion == "1")
        }
        // A value in each page's window survives only if the page is not reloaded: the order must arrive live.
        for page in [alice, bob] {
            try await page.session.execute("window.__browserTestMarker = arguments[0];", ["not reloaded"])
        }

        let orderID = Self.newOrderID("approve")
        try await Self.postLargeTransfer(orderID, user: "demo-bob", amount: "5000", in: environment)
        for page in [alice, bob] {
            try await page.waitFor("order-row \(orderID) in pending-list without a reload") { $0.pendingRows.contains(orderID) }
            let marker = try await page.session.execute("return window.__browserTestMarker ?? null;")
            #expect(marker == "not reloaded", "\(page.label)'s console was reloaded to show the order")
        }

        try await alice.openOrder(orderID)
        try await alice.click("approve-button")
        let afterAlice = try await Self.waitForOrder(orderID, in: environment, "1 approval counted", page: alice) {
            $0["approvals_counted"] == 1
        }
        #expect(afterAlice["status"] == "pending_approval")
        let aliceShows = try await alice.waitFor("order-status pending_approval with 1 of 2 approvals in words") {
            $0.showsDetail(of: orderID) && $0.status == "pending_approval" && Self.counts($0.statusText, 1, of: 2)
        }
        #expect(aliceShows.errorText.isEmpty, "error-message after approving: \(aliceShows.errorText)")

        try await bob.openOrder(orderID)
        try await bob.click("approve-button")
        let completed = try await Self.waitForOrder(orderID, in: environment, "completed", page: bob) {
            $0["status"] == "completed"
        }
        let approvers = completed["approvals"]?.arrayValue?.compactMap { $0["operator"]?.stringValue } ?? []
        #expect(Set(approvers) == ["alice", "bob"], "\(completed.serialized())")
        try await bob.waitFor("order-status data-status=\"completed\"") {
            $0.showsDetail(of: orderID) && $0.status == "completed"
        }
        for page in [alice, bob] {
            try await page.waitFor("order-row \(orderID) gone from pending-list") { !$0.pendingRows.contains(orderID) }
        }
    }

    @Test("An operator rejects a large order with a reason; the CRM sees it rejected, with the reason")
    func rejectWithReason() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let alice = try await environment.signedIn(.alice)
        let bob = try await environment.signedIn(.bob)
        let orderID = Self.newOrderID("reject")
        try await Self.postLargeTransfer(orderID, user: "demo-alice", amount: "2500", in: environment)

        try await alice.openOrder(orderID)
        let reason = "Customer asked to cancel (browser test)"
        try await alice.type(reason, into: "reject-reason")
        try await alice.click("reject-button")
        let rejected = try await Self.waitForOrder(orderID, in: environment, "rejected", page: alice) {
            $0["status"] == "rejected"
        }
        let rejection = rejected["approvals"]?.arrayValue?.first { $0["decision"] == "reject" }
        #expect(rejection?["operator"] == "alice", "\(rejected.serialized())")
        #expect(rejection?["reason"]?.stringValue == reason, "\(rejected.serialized())")
        try await alice.waitFor("order-status data-status=\"rejected\"") {
            $0.showsDetail(of: orderID) && $0.status == "rejected"
        }
        for page in [alice, bob] {
            try await page.waitFor("order-row \(orderID) gone from pending-list") { !$0.pendingRows.contains(orderID) }
        }
    }

    @Test("A device that refuses: error-message says so with code -7 and the order is unchanged")
    func deviceRefuses() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let alice = try await environment.signedIn(.alice)
        let orderID = Self.newOrderID("refused")
        try await Self.postLargeTransfer(orderID, user: "demo-bob", amount: "1200", in: environment)

        // The console reads bridge-url at each device operation; afterwards alice gets her own bridge back, whatever
        // happened, so the next scenarios start from a working console.
        let outcome = await Result(catching: {
            try await alice.useBridge(environment.denyingBridge)
            try await alice.openOrder(orderID)
            try await alice.click("approve-button")
            let shown = try await alice.waitFor("error-message visible with data-code=\"-7\"") {
                $0.errorVisible && !$0.errorText.isEmpty && $0.errorCode == "-7"
            }
            print("error-message on a refusal (data-code \(shown.errorCode ?? "nil")): \(shown.errorText)")
            #expect(shown.status == "pending_approval", "order-status after the refusal: \(shown.status ?? "nil")")
            let order = try await environment.crm.orderStatus(orderID)
            #expect(order["status"] == "pending_approval", "\(order.serialized())")
            #expect(order["approvals_counted"] == 0, "\(order.serialized())")
            #expect(order["approvals"]?.arrayValue?.isEmpty == true, "\(order.serialized())")
        })
        try await alice.useBridge(environment.aliceBridge)
        try outcome.get()
    }

    @Test("Sign-in with a locked device: error-message says to unlock it, with code -5")
    func lockedDeviceAtSignIn() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        // A browser of its own: alice's and bob's stay signed in for the other scenarios.
        let visitor = try await ConsoleHarness.shared().visitor()
        let page = ConsolePage(session: visitor, label: "visitor", consoleURL: environment.consoleURL)
        try await page.open()
        try await page.type(Operator.alice.path, into: "path-input")
        try await page.type(environment.lockedBridge, into: "bridge-url")
        try await page.waitFor("bridge-status checked for \(environment.lockedBridge)") {
            $0.bridgeURL == environment.lockedBridge && $0.bridgeState != nil && $0.bridgeState != "checking"
        }
        try await page.click("login-button")
        let shown = try await page.waitFor("error-message visible with data-code=\"-5\"") {
            $0.errorVisible && !$0.errorText.isEmpty && $0.errorCode == "-5"
        }
        print("error-message at sign-in with a locked device (data-code -5): \(shown.errorText)")
        #expect(shown.operatorName?.isEmpty != false, "signed in despite the locked device: \(shown)")
    }

    @Test("A page from another origin cannot use the bridge; a request naming that Origin gets 403")
    func otherOriginRefused() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let other = try await ConsoleHarness.shared().otherOriginServer()
        let visitor = try await ConsoleHarness.shared().visitor()
        let path = Operator.alice.path
        let askForAddress = """
            const done = arguments[arguments.length - 1];
            fetch(arguments[0] + '/address', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                               body: JSON.stringify({path: arguments[1]})})
                .then(async response => done({outcome: 'answered', status: response.status, body: await response.text()}))
                .catch(error => done({outcome: 'rejected', error: String(error)}));
            """

        try await visitor.navigate(to: other.origin + "/")
        let marker = try await visitor.execute("return document.getElementById('other-origin') !== null;")
        #expect(marker == true, "the other origin's page did not load")
        let refused = try await visitor.executeAsync(askForAddress, [.string(environment.aliceBridge), .string(path)])
        let answeredForbidden = refused["outcome"] == "answered" && refused["status"] == 403
        #expect(refused["outcome"] == "rejected" || answeredForbidden, "\(refused.serialized())")
        #expect(refused["body"]?.stringValue?.contains("0x") != true, "an address reached the page: \(refused.serialized())")

        // From the console's origin the same request is answered, so the refusal above is the origin's doing.
        try await visitor.navigate(to: environment.serviceURL + "/health")
        let allowed = try await visitor.executeAsync(askForAddress, [.string(environment.aliceBridge), .string(path)])
        #expect(allowed["status"] == 200, "\(allowed.serialized())")
        #expect(allowed["body"]?.stringValue?.contains("\"address\"") == true, "\(allowed.serialized())")

        // Without a browser: the bridge decides on the Origin header alone.
        for (origin, status) in [(other.origin, 403), (environment.serviceURL, 200)] {
            let reply = try await LoopbackHTTP.send(
                "POST", environment.aliceBridge + "/address",
                headers: [("Origin", origin), ("Content-Type", "application/json")],
                body: Array(JSONValue.object(["path": .string(path)]).serialized().utf8))
            #expect(reply.status == status, "Origin \(origin): \(reply.status) \(reply.text)")
            #expect((try? reply.json()["address"]) != nil ? status == 200 : status == 403, "Origin \(origin): \(reply.text)")
        }
    }

    @Test("The console's weight and time to interactive (printed)")
    func weightAndTimeToInteractive() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        // A browser that has never loaded the console, so nothing comes from its cache.
        let harness = try ConsoleHarness.shared()
        let browser = try await harness.newBrowser("first-visit")
        let page = ConsolePage(session: browser, label: "first visit", consoleURL: environment.consoleURL)
        let outcome = await Result(catching: { try await Self.measure(page, environment) })
        await harness.close(browser)
        let (line, total, interactive) = try outcome.get()
        print(line)
        #expect(total > 0)
        #expect(interactive > 0)
    }

    /// Loads the console in `page` and reads its weight (HTML, JS, CSS bytes as transferred, from Resource Timing) and
    /// time to interactive (the page's `data-interactive-ms`, else the navigation's `domInteractive`).
    static func measure(_ page: ConsolePage, _ environment: ConsoleEnvironment) async throws
        -> (line: String, total: Int, interactive: Double) {
        try await page.open()
        let measured = try await page.session.execute("""
            const navigation = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource')
                .filter(entry => new URL(entry.name).origin === location.origin
                    && new URL(entry.name).pathname.startsWith('/console/'))
                .map(entry => ({url: entry.name, encoded: entry.encodedBodySize, transfer: entry.transferSize}));
            return {
                html: navigation ? navigation.encodedBodySize : 0,
                resources: resources,
                interactiveMs: document.documentElement.dataset.interactiveMs ?? null,
                domInteractive: navigation ? navigation.domInteractive : null,
            };
            """)

        /// The bytes of `url` as served, when the browser reports none (a cached or opaque entry).
        func servedSize(_ url: String) async throws -> Int { try await LoopbackHTTP.send("GET", url).body.count }
        func number(_ value: JSONValue?) -> Double { value?.numberValue.flatMap { Double($0.text) } ?? 0 }

        var html = Int(number(measured["html"]))
        if html == 0 { html = try await servedSize(environment.consoleURL) }
        var js = 0, css = 0, other = 0
        for resource in measured["resources"]?.arrayValue ?? [] {
            let url = resource["url"]?.stringValue ?? ""
            var bytes = Int(number(resource["encoded"]))
            if bytes == 0 { bytes = try await servedSize(url) }
            let path = url.split(separator: "?").first.map(String.init) ?? url
            if path.hasSuffix(".js") { js += bytes } else if path.hasSuffix(".css") { css += bytes } else { other += bytes }
        }
        let interactive = measured["interactiveMs"]?.stringValue.flatMap(Double.init) ?? number(measured["domInteractive"])
        let source = measured["interactiveMs"]?.stringValue != nil ? "" : " (domInteractive: the page sets no data-interactive-ms)"
        let total = html + js + css + other
        let line = "console weight: \(total) bytes (html \(html), js \(js), css \(css)\(other > 0 ? ", other \(other)" : ""));"
            + " time to interactive: \(Int(interactive.rounded())) ms\(source)"
        return (line, total, interactive)
    }

    @Test("A screenshot of the console signed in with an order open")
    func screenshot() async throws {
        let environment = try await ConsoleHarness.shared().environment()
        let alice = try await environment.signedIn(.alice)
        let orderID = Self.newOrderID("screenshot")
        try await Self.postLargeTransfer(orderID, user: "demo-alice", amount: "3000", in: environment)
        try await alice.openOrder(orderID)

        let png = try await alice.session.screenshotPNG()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")
        let build = BrowserTools.repository.appendingPathComponent(".build/console-screenshot.png")
        try Data(png).write(to: build)
        var written = [build.path]
        if ProcessInfo.processInfo.environment["WALLETBRIDGE_UPDATE_SCREENSHOT"] == "1" {
            let docs = BrowserTools.repository.appendingPathComponent("docs")
            try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
            try Data(png).write(to: docs.appendingPathComponent("console.png"))
            written.append(docs.appendingPathComponent("console.png").path)
        }
        print("console screenshot (\(png.count) bytes): \(written.joined(separator: ", "))")
    }
}
