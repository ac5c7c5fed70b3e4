import BridgeCore
import BridgeDevices
import Synchronization
import Testing

@Suite("Trezor call flow (sans-I/O)")
struct TrezorCallFlowTests {
    let request = TrezorWireMessage(TrezorProto.EthereumSignMessage(addressN: [0x8000_002C], message: Array("hi".utf8)))

    func flow(_ credentials: TrezorCredentials = TrezorCredentials(), onDevice: Bool = false) -> TrezorCallFlow {
        TrezorCallFlow(request: request, credentials: credentials, passphraseEntryOnDevice: onDevice)
    }

    @Test func buttonRequestIsAcknowledgedAndAnnouncedOnce() {
        var flow = flow()
        let button = TrezorWireMessage(TrezorProto.ButtonRequest(code: .other))
        #expect(flow.next(after: button) == .send(TrezorWireMessage(type: 27, payload: []), progress: "Confirm on your Trezor..."))
        #expect(flow.next(after: button) == .send(TrezorWireMessage(type: 27, payload: []), progress: nil))
        let pin = TrezorWireMessage(TrezorProto.ButtonRequest(code: .pinEntry, name: "pin_device"))
        #expect(flow.next(after: pin) == .send(TrezorWireMessage(type: 27, payload: []), progress: "Enter your PIN on your Trezor..."))
    }

    @Test func otherMessagesFinishTheCall() {
        var flow = flow()
        let signature = TrezorWireMessage(TrezorProto.EthereumMessageSignature(signature: [1], address: "0x"))
        #expect(flow.next(after: signature) == .finished(signature))
    }

    @Test func pinMatrixIsAnsweredWithThePositions() {
        let asked = Mutex<[TrezorProto.PinMatrixRequestType?]>([])
        var flow = flow(TrezorCredentials(pinPositions: { type in asked.withLock { $0.append(type) }; return "2413" }))
        let step = flow.next(after: TrezorWireMessage(TrezorProto.PinMatrixRequest(type: .current)))
        #expect(step == .send(TrezorWireMessage(type: 19, payload: [0x0A, 4] + Array("2413".utf8)), progress: nil))
        #expect(asked.withLock { $0 } == [.current])
    }

    @Test func noPINCancelsAndFailsLocked() {
        let request = TrezorWireMessage(TrezorProto.PinMatrixRequest(type: .current))
        var withoutProvider = flow()
        guard case .failed(let error, let sendCancel) = withoutProvider.next(after: request) else {
            Issue.record("no provider did not fail")
            return
        }
        #expect(error.code == .deviceLocked && sendCancel)
        var declined = flow(TrezorCredentials(pinPositions: { _ in nil }))
        guard case .failed(let declinedError, true) = declined.next(after: request) else {
            Issue.record("a provider returning nil did not fail with Cancel")
            return
        }
        #expect(declinedError.code == .deviceLocked)
    }

    @Test(arguments: ["1230", "12a4", "", String(repeating: "5", count: 51), "１２３"])
    func badPositionsCancelAndFailBadArgument(positions: String) {
        var flow = flow(TrezorCredentials(pinPositions: { _ in positions }))
        guard case .failed(let error, true) = flow.next(after: TrezorWireMessage(TrezorProto.PinMatrixRequest(type: .current))) else {
            Issue.record("positions \(positions) were accepted")
            return
        }
        #expect(error.code == .badArgument)
    }

    @Test func passphraseFromTheHostIsNFKDNormalized() throws {
        // "Å" as one precomposed scalar (U+00C5) goes out as A + combining ring (U+0041 U+030A), as trezorlib sends it.
        var flow = flow(TrezorCredentials(passphraseOnHost: "\u{00C5}b"))
        let step = flow.next(after: TrezorWireMessage(TrezorProto.PassphraseRequest()))
        guard case .send(let ack, nil) = step else {
            Issue.record("unexpected step \(step)")
            return
        }
        #expect(try ack.decode(TrezorProto.PassphraseAck.self) == TrezorProto.PassphraseAck(passphrase: "A\u{030A}b"))
        #expect(Array(try ack.decode(TrezorProto.PassphraseAck.self).passphrase!.utf8) == [0x41, 0xCC, 0x8A, 0x62])
    }

    @Test func passphraseOnDeviceOnlyWhereTheModelCan() throws {
        var core = flow(onDevice: true)
        let request = TrezorWireMessage(TrezorProto.PassphraseRequest())
        #expect(core.next(after: request) == .send(TrezorWireMessage(TrezorProto.PassphraseAck(onDevice: true)),
                                                   progress: "Enter the passphrase on your Trezor..."))
        var one = flow(onDevice: false)
        #expect(one.next(after: request) == .send(TrezorWireMessage(TrezorProto.PassphraseAck(passphrase: "")), progress: nil))
        // A host passphrase wins even where the device could take it.
        var host = flow(TrezorCredentials(passphraseOnHost: "TREZOR"), onDevice: true)
        #expect(host.next(after: request) == .send(TrezorWireMessage(TrezorProto.PassphraseAck(passphrase: "TREZOR")), progress: nil))
    }

    @Test func tooLongPassphraseIsRefused() {
        var flow = flow(TrezorCredentials(passphraseOnHost: String(repeating: "x", count: 51)))
        guard case .failed(let error, true) = flow.next(after: TrezorWireMessage(TrezorProto.PassphraseRequest())) else {
            Issue.record("a 51-character passphrase was sent")
            return
        }
        #expect(error.code == .badArgument)
    }

    @Test func failuresMapToContractCodes() {
        let cases: [(TrezorProto.FailureType?, String, ErrorCode)] = [
            (.actionCancelled, "fsm_msg_ethereum.h:276:Action cancelled by user", .rejectedOnDevice),
            (.pinCancelled, "PIN cancelled", .rejectedOnDevice),
            (.pinInvalid, "protect.c:233:PIN invalid", .deviceLocked),
            (.pinExpected, "PIN expected", .pinOrPassphraseNeeded),
            (.busy, "Device busy", .busy),
            (.notInitialized, "Device not initialized", .deviceNotInitialized),
            (.unexpectedMessage, "messages.c:257:Unknown message", .notSupported),
            (.invalidProtocol, "", .thpNotSupported),
            (.dataError, "Forbidden key path", .protocolError),
            (.processError, "Signing failed", .protocolError),
            (.firmwareError, "Firmware error", .protocolError),
            (nil, "odd", .protocolError),
        ]
        for (code, text, expected) in cases {
            var flow = flow()
            let failure = TrezorWireMessage(TrezorProto.Failure(code: code, message: text))
            guard case .failed(let error, false) = flow.next(after: failure) else {
                Issue.record("Failure \(String(describing: code)) did not fail the call")
                continue
            }
            #expect(error.code == expected, "\(String(describing: code))")
        }
        var unknown = flow()
        guard case .failed(let error, _) = unknown.next(after: TrezorWireMessage(TrezorProto.Failure(code: .unexpectedMessage,
                                                                                                   message: "messages.c:257:Unknown message")))
        else { return }
        #expect(error == .notSupported("this Trezor does not support EthereumSignMessage (Unknown message)"))
        var data = flow()
        guard case .failed(let dataError, _) = data.next(after: TrezorWireMessage(TrezorProto.Failure(code: .dataError,
                                                                                                   message: "fsm.c:12:Forbidden key path")))
        else { return }
        #expect(dataError == .deviceFailure("Forbidden key path"))
    }

    @Test func thpConstantReplyIsThpNotSupported() throws {
        // FW rust/trezor-thp/src/channel/device.rs CODEC_V1_RESPONSE: ?## 0003 00000002 0811.
        let packet = try #require(Hex.decode("3f23230003000000020811")) + [UInt8](repeating: 0, count: 53)
        var reassembler = TrezorV1Reassembler()
        let reply = try #require(try reassembler.append(packet))
        var flow = flow()
        #expect(flow.next(after: reply) == .failed(.thpNotSupported, sendCancel: false))
    }

    @Test func malformedRepliesAreProtocolErrors() {
        var flow = flow()
        guard case .failed(let error, false) = flow.next(after: TrezorWireMessage(type: 26, payload: [0x08])) else {
            Issue.record("a truncated ButtonRequest was accepted")
            return
        }
        #expect(error.code == .protocolError)
    }
}
