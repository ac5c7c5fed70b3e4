import BridgeCore
import BridgeServer
import Testing

@Suite("HTTP request and response values")
struct HTTPTypesTests {
    @Test func headerNamesAreCaseInsensitive() {
        let request = HTTPRequest(method: "patch", path: "/wallets/balance", headers: ["Key": "k", "SIGNATURE": "s"])
        #expect(request.method == "PATCH")
        #expect(request.header("key") == "k")
        #expect(request.header("Signature") == "s")
        #expect(request.header("missing") == nil)
    }

    @Test func jsonResponsesAreCompact() {
        let response = HTTPResponse.json(["error": true, "code": 401, "type": "key_invalid"], status: 401)
        #expect(response.status == 401)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":true,"code":401,"type":"key_invalid"}"#)
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
    }
}
