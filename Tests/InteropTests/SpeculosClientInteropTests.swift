import BridgeCore
import BridgeSimulator
import Foundation
import Testing
@testable import WalletBridgeCLI

extension InteropSuite {
    /// Speculos's own REST client (speculos.client `Api`, from the `speculos` package on PyPI, as ragger's Speculos
    /// backend uses it) against `simulate ledger --api-port` with `--approve buttons`: the APDU posted without waiting,
    /// the screen read through `/events` and its event stream, the buttons pressed through `/button/...`.
    @Suite("Speculos's REST client against the simulated Ledger", .serialized,
           .enabled(if: VendorTool.speculosPython.isInstalled, "speculos is not installed: run `make interop-tools` (PyPI)"))
    struct SpeculosClientInteropTests {
        static let message = "Approve order 42: 1,250.00 USD"

        @Test("an address verified on screen and approved, a message rejected on the device, then signed")
        func reviewApproveReject() throws {
            let device = try SimulatedLedger(configuration: SimulatedLedger.Configuration(approval: .buttons))
            let server = SpeculosAPIServer(device: device, host: "127.0.0.1", port: 0)
            let port = try server.start()
            defer {
                device.display.close()
                server.stop()
            }
            let run = try VendorTool.speculosPython.run(["-c", Self.script, "http://127.0.0.1:\(port)", Self.message])
            #expect(run.status == 0, "speculos client: \(run)")
            let answer = try KnownKeys.json(run)
            let texts = { (key: String) in answer[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            let address = try KnownKeys.ethereumAddress(SimulatedLedger.Configuration.speculosMnemonic, "m/44'/60'/0'/0/0")

            #expect(texts("home") == ["Ethereum", "is ready"])
            #expect(answer["streamed"]?["text"]?.stringValue == "Verify Ethereum address", "the event stream (SSE) carried the screen")
            #expect(answer["streamed"]?["y"] == 3)
            #expect(texts("review") == ["Verify Ethereum address", address])
            #expect(answer["address"]?.stringValue == address)
            #expect(texts("message") == ["Review message", "Message", Self.message])
            #expect(answer["rejected"]?.numberValue?.text == "27013", "0x6985: rejected on the device")
            #expect(KnownKeys.isPersonalSignature(answer["signature"]?.stringValue ?? "", of: Self.message, by: address))
            #expect(texts("events").filter { $0 == "Reject" }.count == 1, "the Reject step was on screen once")
            #expect(device.screensShown.suffix(2).map(\.title) == ["Review message", "Sign message"])
        }

        /// speculos.client's calls as ragger makes them; prints one JSON document.
        static let script = """
            import json, sys, time
            from speculos.client import Api, ApduResponse, ApduException
            api = Api(sys.argv[1])
            message = sys.argv[2].encode()
            out = {}
            def texts(current=True):
                if current:
                    return [e["text"] for e in api.get_current_screen_content()["events"]]
                return [e["text"] for e in api.session.get(api.api_url + "/events").json()["events"]]
            def wait_for(text):
                for _ in range(1000):
                    shown = texts()
                    if any(text in t for t in shown):
                        return shown
                    time.sleep(0.01)
                raise SystemExit("never shown: %s (on screen: %r)" % (text, shown))
            out["home"] = texts()
            api.session.delete(api.api_url + "/events")
            path = bytes([5]) + b"".join(i.to_bytes(4, "big") for i in [0x8000002C, 0x8000003C, 0x80000000, 0, 0])
            api.open_stream()
            pending = api._apdu_exchange_nowait(bytes([0xE0, 0x02, 0x01, 0x00, len(path)]) + path)
            out["streamed"] = api.wait_for_text_event("Verify Ethereum")
            out["review"] = wait_for("Verify Ethereum address")
            api.press_and_release("right")
            wait_for("Approve")
            api.press_and_release("both")
            data = ApduResponse(pending).receive()
            out["address"] = "0x" + data[67:107].decode()
            payload = path + len(message).to_bytes(4, "big") + message
            def sign():
                return api._apdu_exchange_nowait(bytes([0xE0, 0x08, 0x00, 0x00, len(payload)]) + payload)
            pending = sign()
            out["message"] = wait_for("Review message")
            api.press_and_release("right")
            api.press_and_release("right")
            wait_for("Reject")
            api.press_and_release("both")
            try:
                ApduResponse(pending).receive()
                out["rejected"] = None
            except ApduException as error:
                out["rejected"] = error.sw
            pending = sign()
            wait_for("Review message")
            api.press_and_release("right")
            wait_for("Sign message")
            api.press_and_release("both")
            signature = ApduResponse(pending).receive()
            out["signature"] = (signature[1:65] + signature[0:1]).hex()
            out["events"] = texts(current=False)
            api.close_stream()
            print(json.dumps(out))
            """
    }
}
