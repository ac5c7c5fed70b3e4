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

@Suite("HTTP fields")
struct HTTPFieldsTests {
    @Test("Lookups are exact, the first value of a name stays, and order is kept")
    func firstValueWinsInOrder() {
        var fields = HTTPFields()
        #expect(fields.isEmpty)
        #expect(fields.addIfAbsent("key", "k1") == nil)
        #expect(fields.addIfAbsent("host", "h") == nil)
        #expect(fields.addIfAbsent("key", "k2") == "k1")
        #expect(fields["key"] == "k1")
        #expect(fields["Key"] == nil)
        #expect(fields.names == ["key", "host"])
        fields["key"] = "k3"
        fields["accept"] = "*/*"
        #expect(fields.names == ["key", "host", "accept"])
        #expect(fields["key"] == "k3")
        fields["host"] = nil
        #expect(fields.names == ["key", "accept"])
        #expect(fields.count == 2)
        #expect(fields.dictionary == ["key": "k3", "accept": "*/*"])
    }

    @Test("A dictionary or a literal gives the same fields, in name order for a dictionary")
    func fromDictionaryAndLiteral() {
        let literal: HTTPFields = ["b": "2", "a": "1", "b": "ignored"]
        #expect(literal.names == ["b", "a"])
        #expect(literal["b"] == "2")
        #expect(HTTPFields(["b": "2", "a": "1"]).names == ["a", "b"])
    }

    @Test("A request built by hand lower-cases its header names once")
    func requestLowercasesHeaderNames() {
        let request = HTTPRequest(method: "get", path: "/x", query: ["q": "1"], headers: ["X-Key": "a", "Host": "h"])
        #expect(request.headers.names == ["host", "x-key"])
        #expect(request.query["q"] == "1")
        #expect(request.method == "GET")
    }
}
