import BridgeCore
import BridgeCrypto
import BridgeDevices
import FoundationEssentials

// The JSON shapes of CONTRACT.md section 1: hex `0x`-prefixed lowercase, addresses in their own formats (EIP-55 for
// Ethereum), Bitcoin message signatures base64, fingerprints 8 hex digits without prefix (as HWI prints them).

extension AddressResult {
    /// `{"address","path","publicKey"}`; publicKey is the compressed SEC1 key.
    var json: JSONValue {
        ["address": .string(address), "path": .string(path.description), "publicKey": .string(Hex.encodePrefixed(publicKey.compressed))]
    }
}

extension ExtendedPublicKeyResult {
    /// `{"xpub","publicKey","chainCode","fingerprint"}`; fingerprint is the master key's.
    var json: JSONValue {
        [
            "xpub": .string(xpub),
            "publicKey": .string(Hex.encodePrefixed(publicKey.compressed)),
            "chainCode": .string(Hex.encodePrefixed(chainCode)),
            "fingerprint": .string(Self.fingerprintText(masterFingerprint)),
        ]
    }

    /// 8 lowercase hex digits, big-endian, no prefix: `f5acc2fd`.
    static func fingerprintText(_ fingerprint: UInt32) -> String {
        Hex.encode([UInt8(fingerprint >> 24), UInt8(truncatingIfNeeded: fingerprint >> 16),
                    UInt8(truncatingIfNeeded: fingerprint >> 8), UInt8(truncatingIfNeeded: fingerprint)])
    }
}

extension MessageSignatureResult {
    /// eth: `{"signature":"0x" r s v, "address"}` (v 27/28); btc: `{"signature":<base64 BIP-137>, "address"}`.
    var json: JSONValue {
        switch self {
        case .ethereum(let signature, let address):
            ["signature": .string(signature.hex), "address": .string(address.checksummed)]
        case .bitcoin(let signature, let address):
            ["signature": .string(Data(signature).base64EncodedString()), "address": .string(address)]
        }
    }
}

extension TypedDataSignatureResult {
    /// `{"signature","address","domainHash","messageHash","digest"}`; messageHash is null for an EIP712Domain primary type.
    var json: JSONValue {
        [
            "signature": .string(signature.hex),
            "address": .string(address.checksummed),
            "domainHash": .string(Hex.encodePrefixed(domainHash)),
            "messageHash": messageHash.map { .string(Hex.encodePrefixed($0)) } ?? .null,
            "digest": .string(Hex.encodePrefixed(digest)),
        ]
    }
}
