import BridgeCore

/// Why a cryptographic input was refused. Every case is bad input (code -10) except a failing C library (-20).
public enum CryptoError: BridgeError, Equatable {
    case invalidPrivateKey
    case invalidPublicKey(String)
    case invalidSignature(String)
    case invalidRecoveryID(Int)
    case recoveryFailed
    case invalidLength(what: String, expected: String, actual: Int)
    case invalidMnemonic(String)
    case invalidDerivationPath(String)
    case invalidExtendedKey(String)
    case invalidEncoding(String)
    case invalidAddress(String)
    case invalidTypedData(String)
    /// A child key that BIP-32 says to skip (probability about 2^-127); the caller should use the next index.
    case unusableChildKey(index: UInt32)
    case libraryFailure(String)

    public var code: ErrorCode {
        if case .libraryFailure = self { return .internalError }
        return .badArgument
    }

    public var message: String {
        switch self {
        case .invalidPrivateKey: "Invalid private key: it must be 32 bytes in the range 1..n-1 of secp256k1"
        case .invalidPublicKey(let why): "Invalid public key: \(why)"
        case .invalidSignature(let why): "Invalid signature: \(why)"
        case .invalidRecoveryID(let id): "Invalid recovery id \(id): it must be 0..3 (Ethereum v 27/28 or 0/1)"
        case .recoveryFailed: "No public key can be recovered from this signature and digest"
        case .invalidLength(let what, let expected, let actual): "\(what) must be \(expected) bytes, got \(actual)"
        case .invalidMnemonic(let why): "Invalid mnemonic: \(why)"
        case .invalidDerivationPath(let why): "Invalid derivation path: \(why)"
        case .invalidExtendedKey(let why): "Invalid extended key: \(why)"
        case .invalidEncoding(let why): "Invalid encoding: \(why)"
        case .invalidAddress(let why): "Invalid address: \(why)"
        case .invalidTypedData(let why): "Invalid EIP-712 typed data: \(why)"
        case .unusableChildKey(let index): "BIP-32 child \(index) is invalid for this key; use the next index"
        case .libraryFailure(let what): "The crypto library failed: \(what)"
        }
    }

    public var hint: String {
        switch self {
        case .invalidDerivationPath: "Write paths like m/44'/60'/0'/0/0 (' or h marks hardened indexes)."
        case .invalidMnemonic: "Check the words against the BIP-39 English list and their order."
        case .invalidTypedData: "Give eth_signTypedData_v4 JSON: types (with EIP712Domain), primaryType, domain, message."
        case .invalidAddress: "Check the address: Ethereum 0x + 40 hex digits (EIP-55 case if mixed), Bitcoin Base58/Bech32."
        default: code.defaultHint
        }
    }
}
