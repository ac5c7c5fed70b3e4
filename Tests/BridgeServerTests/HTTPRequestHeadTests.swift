import Testing

@testable import BridgeServer

@Suite("Request heads without copies: methods and header names in one case, Content-Length found in place")
struct HTTPRequestHeadTests {
    @Test func methodsAndHeaderNamesAreNormalizedOnlyWhenNeeded() {
        let mixed = HTTPRequest(method: "get", path: "/", headers: ["X-Key": "1", "key": "2", "\u{C4}rger": "3"])
        #expect(mixed.method == "GET")
        #expect(mixed.header("x-key") == "1" && mixed.header("X-KEY") == "1")
        #expect(mixed.header("key") == "2" && mixed.header("Key") == "2")
        #expect(mixed.header("\u{E4}rger") == "3" && mixed.header("\u{C4}RGER") == "3")
        #expect(mixed.headers.names.sorted() == ["key", "x-key", "\u{E4}rger"])

        let server = HTTPRequest(method: "PATCH", path: "/", headers: ["content-type": "application/json"])
        #expect(server.method == "PATCH")
        #expect(server.headers == ["content-type": "application/json"])
    }

    @Test("Fields read off the wire stay bytes until asked for: names lower-cased as copied, the first value kept")
    func wireFieldsKeepTheirBytes() {
        var fields = HTTPFields()
        fields.reserveCapacity(fields: 2, bytes: 16)  // smaller than what follows: the buffer grows
        func add(_ name: String, _ value: [UInt8], lowercasing: Bool = true) -> Int? {
            Array(name.utf8).withUnsafeBytes { name in
                value.withUnsafeBytes { fields.addIfAbsent(name: name, lowercasingName: lowercasing, value: $0) }
            }
        }
        #expect(add("Host", Array("127.0.0.1:8080".utf8)) == nil)
        #expect(add("KEY", Array("k1".utf8)) == nil)
        #expect(add("key", Array("k2".utf8)) == 1)  // the position of the field that has the name
        #expect(add("X-Empty", []) == nil)
        #expect(add("Bad", [0x61, 0xFF, 0x62]) == nil)
        #expect(add("MiXed", Array("v".utf8), lowercasing: false) == nil)
        #expect(fields.names == ["host", "key", "x-empty", "bad", "MiXed"])
        #expect(fields["key"] == "k1")
        #expect(fields["x-empty"] == "")
        #expect(fields["bad"] == "a\u{FFFD}b")  // decoded only now, invalid bytes replaced
        #expect(fields["MiXed"] == "v" && fields["mixed"] == nil)
        fields["key"] = "a longer value than before"
        #expect(fields.value(at: 1) == "a longer value than before" && fields.names[1] == "key")
        // Equal to the same fields however their bytes lie.
        let same: HTTPFields = ["host": "127.0.0.1:8080", "key": "a longer value than before", "x-empty": "",
                                "bad": "a\u{FFFD}b", "MiXed": "v"]
        #expect(fields == same)
        fields["host"] = nil
        #expect(fields != same && fields.count == 4)
    }

    @Test func contentLengthIsRecognizedInAnyCase() {
        for name in ["Content-Length", "content-length", "CONTENT-LENGTH", "cOnTeNt-LeNgTh"] {
            #expect(HTTPServerContext.isContentLength(name), "\(name)")
        }
        for name in ["Content-Type", "content-lengths", "content_length", "content-lengt", "", "Content-Length "] {
            #expect(!HTTPServerContext.isContentLength(name), "\(name)")
        }
    }
}
