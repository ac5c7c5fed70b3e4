import BridgeCore
import BridgeSimulator
import Foundation
import Testing

@Suite("Speculos's REST API over the simulated Ledger (without HTTP)")
struct SpeculosAPITests {
    static let showAddress = #"{"data": "e002010015058000002c8000003c800000000000000000000000"}"#
    static let press = #"{"action": "press-and-release"}"#

    func respond(_ api: SpeculosAPI, _ method: String, _ path: String, query: [String: String] = [:],
                 _ body: String = "") -> SpeculosAPI.Response {
        api.respond(method: method, path: path, query: query, body: Array(body.utf8))
    }

    @Test("POST /apdu answers the device's data and status word as hex; GET /events shows what was on screen")
    func apduAndEvents() throws {
        let api = SpeculosAPI(device: try SimulatedLedger(configuration: .init()))
        #expect(respond(api, "DELETE", "/events") == SpeculosAPI.Response(status: 200, body: .object([:])))
        let answer = respond(api, "POST", "/apdu", #"{"data": "b001000000"}"#)
        #expect(answer.status == 200)
        // B0 01: format 01, name "Ethereum", version "1.22.0", flags 00, 9000 (recorded_eth_app_1_22_0.json).
        #expect(answer.body["data"]?.stringValue == "0108457468657265756d06312e32322e3001009000")
        _ = respond(api, "POST", "/apdu", Self.showAddress)
        let events = respond(api, "GET", "/events")
        let texts = events.body["events"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
        #expect(texts == ["Verify Ethereum address", "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D", "Approve", "Ethereum", "is ready"])
        let first = try #require(events.body["events"]?.arrayValue?.first)
        #expect(first.serialized() == #"{"text":"Verify Ethereum address","x":0,"y":3,"w":128,"h":11,"clear":false}"#)
        let current = respond(api, "GET", "/events", query: ["currentscreenonly": "true"])
        #expect(current.body["events"]?.arrayValue?.compactMap { $0["text"]?.stringValue } == ["Ethereum", "is ready"])
    }

    @Test("bodies the schemas refuse get 400 with an error; unknown paths 404; the event stream is refused in words")
    func refusals() throws {
        let api = SpeculosAPI(device: try SimulatedLedger(configuration: .init()))
        for body in ["", "{}", #"{"data": "e00"}"#, #"{"data": "0xe0020000"}"#, #"{"data": ""}"#, #"{"data": 5}"#,
                     #"{"data": "b001000000", "extra": 1}"#, "[1]"] {
            let answer = respond(api, "POST", "/apdu", body)
            #expect(answer.status == 400, "\(body)")
            #expect(answer.body["error"]?.stringValue?.contains("apdu.schema") == true)
        }
        #expect(respond(api, "POST", "/button/both", #"{"action": "jump"}"#).status == 400)
        #expect(respond(api, "POST", "/button/both", #"{"action": "press", "colour": 1}"#).status == 400)
        #expect(respond(api, "POST", "/button/middle", Self.press).status == 404)
        #expect(respond(api, "GET", "/screenshot").status == 404)
        let stream = respond(api, "GET", "/events", query: ["stream": "true"])
        #expect(stream.status == 400)
        #expect(stream.body["error"]?.stringValue?.contains("poll GET /events") == true)
        // A short APDU the device cannot parse is the device's 6700, not an HTTP error.
        #expect(respond(api, "POST", "/apdu", #"{"data": "e002"}"#).body["data"]?.stringValue == "6700")
    }

    @Test("with buttons, POST /apdu waits until the review is walked and approved, or walked on to Reject")
    func buttonsDecide() throws {
        let device = try SimulatedLedger(configuration: .init(approval: .buttons))
        let api = SpeculosAPI(device: device)
        let answer = Awaited<SpeculosAPI.Response>()
        Thread { answer.set(self.respond(api, "POST", "/apdu", Self.showAddress)) }.start()
        #expect(device.display.awaitReview(timeout: .seconds(10))?.title == "Verify Ethereum address")
        #expect(answer.value == nil, "no answer before a decision")
        #expect(respond(api, "POST", "/button/right", Self.press).status == 200)
        #expect(respond(api, "GET", "/events", query: ["currentscreenonly": "1"]).body["events"]?.arrayValue?.first?["text"]?.stringValue == "Approve")
        _ = respond(api, "POST", "/button/both", Self.press)
        let approved = try #require(answer.wait())
        #expect(approved.body["data"]?.stringValue?.hasSuffix("9000") == true)

        let rejected = Awaited<SpeculosAPI.Response>()
        Thread { rejected.set(self.respond(api, "POST", "/apdu", Self.showAddress)) }.start()
        #expect(device.display.awaitReview(timeout: .seconds(10)) != nil)
        for button in ["right", "right", "both"] { _ = respond(api, "POST", "/button/" + button, Self.press) }
        #expect(rejected.wait()?.body["data"]?.stringValue == "6985")
    }
}
