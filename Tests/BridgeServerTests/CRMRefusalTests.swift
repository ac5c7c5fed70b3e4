import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Dispatch
import Synchronization
import Testing

/// CONTRACT 4: business refusals kept under their order id, and requests whose signature cannot cover what they say.
@Suite("CRM: remembered refusals and what the CRM's signature covers")
struct CRMRefusalTests {
    @Test("insufficient_funds is remembered: the retry after a deposit gets 400 again and moves nothing")
    func insufficientFundsIsRemembered() throws {
        let fixture = try APIFixture()
        let first = fixture.transfer("broke-1", amount: "-1500")  // 1,000.50 available
        #expect(first.responseText == crmError(400, "insufficient_funds"))
        #expect(fixture.transfer("deposit", amount: "900").status == 200)
        #expect(try fixture.balance() == 190_050)

        // The same content, written differently, gets the same answer; the money stays.
        let retry = fixture.transfer("broke-1", amount: "-1500.00")
        #expect(retry.status == 400)
        #expect(retry.responseText == first.responseText)
        #expect(try fixture.balance() == 190_050)
        // Other content under that id is a duplicate, as for an accepted order.
        #expect(fixture.transfer("broke-1", amount: "-15").responseText == crmError(409, "duplicate_order"))
        #expect(fixture.transfer("broke-1", user: "user_789", amount: "-1500").responseText == crmError(409, "duplicate_order"))
        // It never became an order.
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "broke-1"]).responseText
            == crmError(404, "order_not_found"))
        let refused = try fixture.store.transaction { transaction throws(ApprovalError) in
            try transaction.transferRefusal(orderID: "broke-1")
        }
        #expect(refused?.type == "insufficient_funds")
        #expect(refused?.amount == "-15e2")
    }

    @Test("Every business refusal is kept; invalid_request and authentication failures are not")
    func whichRefusalsAreKept() throws {
        let fixture = try APIFixture()
        let kept: [(String, String, String, String, String)] = [
            ("eur", "user_456", "EUR", "1", crmError(400, "currency_not_supported")),
            ("nobody", "nobody", "USD", "1", crmError(400, "account_not_found")),
            ("precise", "user_456", "USD", "0.001", crmError(400, "invalid_amount")),
            ("zero", "user_456", "USD", "0", crmError(400, "invalid_amount")),
        ]
        for (orderID, user, currency, amount, answer) in kept {
            #expect(fixture.transfer(orderID, user: user, currency: currency, amount: amount).responseText == answer)
            // Even once the cause is gone (here: a wallet for nobody), the id keeps its answer.
            if user == "nobody" { try fixture.service.createWallet(externalUserID: "nobody", currency: "USD") }
            #expect(fixture.transfer(orderID, user: user, currency: currency, amount: amount).responseText == answer)
            #expect(fixture.transfer(orderID, user: user, currency: currency, amount: "2").responseText
                == crmError(409, "duplicate_order"))
        }
        #expect(try fixture.balance("nobody") == 0)

        // A bad signature or an unreadable body is not an answer about the order: the id stays free.
        #expect(fixture.transfer("free-1", amount: "5", signature: "00").responseText == crmError(401, "signature_invalid"))
        let missingCurrency = fixture.crm("PATCH", "/wallets/balance", body: [
            "external_user_id": "user_456", "amount": 5, "order_id": "free-1",
        ])
        #expect(missingCurrency.responseText == crmError(400, "invalid_request"))
        #expect(fixture.transfer("free-1", amount: "5").status == 200)
    }

    @Test("Concurrent copies of a refused request all get the one refusal")
    func concurrentRefusals() throws {
        let fixture = try APIFixture()
        let answers = Mutex<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let response = fixture.transfer("race-broke", amount: "-5000")
            answers.withLock { _ = $0.insert("\(response.status) \(response.responseText)") }
        }
        #expect(answers.withLock { $0 } == ["400 " + crmError(400, "insufficient_funds")])
        let refusals = try fixture.store.transaction { transaction throws(ApprovalError) in
            try transaction.auditEvents(after: 0, limit: 1000).filter { $0.kind == "order.refused" }.count
        }
        #expect(refusals == 1)
    }

    @Test("An amount JavaScript prints with another value is invalid_amount: 90071992547409.91 signs as ...409.9")
    func javaScriptUnsafeAmounts() throws {
        let fixture = try APIFixture()
        // Signed as the CRM's JavaScript would sign it: String(90071992547409.91) == "90071992547409.9".
        let body: JSONObject = [
            "external_user_id": "user_456", "currency": "USD", "order_id": "js-1",
            "amount": .number(try #require(JSONNumber(text: "90071992547409.91"))),
        ]
        #expect(CRMRequestSignature.canonicalString(of: body).contains("amount=90071992547409.9&"))
        let refused = fixture.crm("PATCH", "/wallets/balance", body: body)
        #expect(refused.responseText == crmError(400, "invalid_amount"))
        #expect(try fixture.service.wallet(externalUserID: "user_456", currency: "USD").held == 0)

        // What JavaScript prints exactly is accepted, however it is written.
        #expect(fixture.transfer("js-2", amount: "12.30").status == 200)
        #expect(fixture.transfer("js-3", amount: "1.23e1").status == 200)
        #expect(try fixture.balance() == 102_510)
    }

    @Test("An external_user_id list element with a comma is invalid_request: [\"a,b\"] signs like [\"a\",\"b\"]")
    func commasInTheUserList() throws {
        let fixture = try APIFixture()
        let split: JSONObject = ["skip": 0, "limit": 20, "external_user_id": ["user_456", "user_789"]]
        let joined: JSONObject = ["skip": 0, "limit": 20, "external_user_id": ["user_456,user_789"]]
        #expect(CRMRequestSignature.signature(of: split, apiKey: APIFixture.apiKey)
            == CRMRequestSignature.signature(of: joined, apiKey: APIFixture.apiKey))
        #expect(fixture.crm("POST", "/wallets", body: joined).responseText == crmError(400, "invalid_request"))
        #expect(fixture.crm("POST", "/wallets", body: split).responseJSON["count"] == 3)
    }
}
