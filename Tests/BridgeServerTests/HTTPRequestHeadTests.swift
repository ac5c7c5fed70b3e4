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

    @Test func contentLengthIsRecognizedInAnyCase() {
        for name in ["Content-Length", "content-length", "CONTENT-LENGTH", "cOnTeNt-LeNgTh"] {
            #expect(HTTPServerContext.isContentLength(name), "\(name)")
        }
        for name in ["Content-Type", "content-lengths", "content_length", "content-lengt", "", "Content-Length "] {
            #expect(!HTTPServerContext.isContentLength(name), "\(name)")
        }
    }
}
