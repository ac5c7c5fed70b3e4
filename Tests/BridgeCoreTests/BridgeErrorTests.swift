import BridgeCore
import Testing

@Suite("Error vocabulary")
struct BridgeErrorTests {
    @Test func codesAreTheContractNumbers() {
        let expected: [ErrorCode: Int] = [
            .noDevice: -1, .severalDevices: -2, .connectionLost: -3, .busy: -4, .deviceLocked: -5, .wrongApp: -6,
            .rejectedOnDevice: -7, .timedOut: -8, .notSupported: -9, .badArgument: -10, .protocolError: -11,
            .permissionDenied: -12, .pinOrPassphraseNeeded: -13, .deviceSettingsRefuse: -14,
            .deviceNotInitialized: -15, .thpNotSupported: -16, .internalError: -20,
            .notSignedIn: -21, .notPermitted: -22, .conflict: -23, .expired: -24,
        ]
        #expect(ErrorCode.allCases.count == expected.count)
        for code in ErrorCode.allCases {
            #expect(code.rawValue == expected[code])
            #expect(!code.defaultHint.isEmpty)
        }
    }

    @Test func errorsRenderAsContractJSON() {
        let error = GenericBridgeError(.deviceLocked, "The Ledger is locked", hint: "Unlock it")
        #expect(error.jsonObject.serialized() == #"{"error":"The Ledger is locked","code":-5,"hint":"Unlock it"}"#)
        #expect(error.description == "The Ledger is locked (code -5)")
    }

    @Test func foreignErrorsBecomeInternalErrors() {
        struct Odd: Error {}
        let bridged = Odd().asBridgeError
        #expect(bridged.code == .internalError)
        #expect(bridged.message.contains("Odd"))
        let own = GenericBridgeError(.busy, "held").asBridgeError
        #expect(own.code == .busy)
    }
}

@Suite("Hex")
struct HexTests {
    @Test func encodesLowercaseAndDecodesEitherCase() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.encodePrefixed([0x01]) == "0x01")
        #expect(Hex.decode("0x00abFF") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("0X01") == [0x01])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("0x") == [])
    }

    @Test func rejectsOddLengthAndNonHex() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("0xzz") == nil)
        #expect(Hex.decode("0x 1") == nil)
        #expect(Hex.decode("x0") == nil)
    }
}
