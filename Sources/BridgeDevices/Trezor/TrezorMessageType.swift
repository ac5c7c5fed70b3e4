/// The u16 type id that precedes every protocol-v1 message: the `MessageType_*` values of
/// trezor/trezor-firmware common/protob/messages.proto (../shared/reference/trezor.md section 3).
public enum TrezorMessageType: UInt16, Sendable, CaseIterable {
    case initialize = 0
    case ping = 1
    case success = 2
    case failure = 3
    case wipeDevice = 5
    case getPublicKey = 11
    case publicKey = 12
    case loadDevice = 13
    case resetDevice = 14
    case features = 17
    case pinMatrixRequest = 18
    case pinMatrixAck = 19
    case cancel = 20
    case lockDevice = 24
    case applySettings = 25
    case buttonRequest = 26
    case buttonAck = 27
    case applyFlags = 28
    case getAddress = 29
    case address = 30
    case entropyRequest = 35
    case entropyAck = 36
    case signMessage = 38
    case verifyMessage = 39
    case messageSignature = 40
    case passphraseRequest = 41
    case passphraseAck = 42
    case getFeatures = 55
    case ethereumGetAddress = 56
    case ethereumAddress = 57
    case ethereumSignMessage = 64
    case ethereumVerifyMessage = 65
    case ethereumMessageSignature = 66
    case endSession = 83
    case debugLinkDecision = 100
    case debugLinkGetState = 101
    case debugLinkState = 102
    case debugLinkStop = 103
    case debugLinkLayout = 9001
    case ethereumGetPublicKey = 450
    case ethereumPublicKey = 451
    case ethereumSignTypedData = 464
    case ethereumTypedDataStructRequest = 465
    case ethereumTypedDataStructAck = 466
    case ethereumTypedDataValueRequest = 467
    case ethereumTypedDataValueAck = 468
    case ethereumTypedDataSignature = 469
    case ethereumSignTypedHash = 470

    /// The proto message name, e.g. "EthereumGetAddress" (for error messages and logs).
    public var name: String {
        let raw = String(describing: self)
        return raw.prefix(1).uppercased() + raw.dropFirst()
    }

    /// The proto name for a raw type id, or "message type N" when this code does not know it.
    public static func name(of rawType: UInt16) -> String {
        TrezorMessageType(rawValue: rawType)?.name ?? "message type \(rawType)"
    }
}
