import BridgeCore
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("BIP-32 extended keys (crypto/bip32.json)")
struct ExtendedKeyTests {
    static let vectors = Result { try TestVectors.json("crypto/bip32.json") }

    @Test func everyChainOfVectors1To4() throws {
        let vectors = try Self.vectors.get().array("vectors")
        #expect(vectors.count == 4)
        var chainsChecked = 0
        for vector in vectors {
            let name = try vector.string("name")
            let master = try ExtendedKey.master(seed: try vector.hex("seed_hex"))
            var xpubByPath = [String: String]()
            for chain in try vector.array("chains") {
                let pathText = try chain.string("path")
                let path = try DerivationPath(parsing: pathText)
                let xprv = try chain.string("xprv")
                let xpub = try chain.string("xpub")

                let key = try master.derived(path)
                #expect(key.xprv() == xprv, "\(name) \(pathText) xprv")
                #expect(key.xpub() == xpub, "\(name) \(pathText) xpub")
                #expect(key.serialized(version: BitcoinNetwork.main.xprvVersion) == xprv)
                #expect(Int(key.depth) == path.indexes.count)
                #expect(key.childNumber == path.indexes.last ?? 0)

                // Parse -> re-serialize round trips, and parsing gives back the same key.
                let parsedPrivate = try ExtendedKey(parsing: xprv)
                #expect(parsedPrivate == key, "\(name) \(pathText) parsed xprv")
                #expect(parsedPrivate.xprv() == xprv)
                let parsedPublic = try ExtendedKey(parsing: xpub)
                #expect(parsedPublic == key.neutered, "\(name) \(pathText) parsed xpub")
                #expect(parsedPublic.xpub() == xpub)
                #expect(parsedPublic.xprv() == nil)

                // CKDpub: a non-hardened step is also derivable from the parent's xpub alone.
                if let last = path.indexes.last, last < DerivationPath.hardenedOffset {
                    let parentPath = DerivationPath(indexes: Array(path.indexes.dropLast())).description
                    let parentXpub = try #require(xpubByPath[parentPath], "\(name): no chain for \(parentPath)")
                    let child = try ExtendedKey(parsing: parentXpub).derivedChild(last)
                    #expect(child.xpub() == xpub, "\(name) \(pathText) by public derivation")
                    #expect(child.privateKey == nil)
                }
                xpubByPath[path.description] = xpub
                chainsChecked += 1
            }
        }
        #expect(chainsChecked == 17)
    }

    /// Each of test vector 5's keys must fail for its stated reason, which our message has to name.
    @Test func allInvalidKeysOfVector5AreRejectedForTheirReason() throws {
        let keys = try #require(try Self.vectors.get()["invalid_extended_keys"]).array("keys")
        #expect(keys.count == 16)
        for entry in keys {
            let text = try entry.string("key")
            let reason = try entry.string("reason")
            let error = #expect(throws: CryptoError.self, "\(reason)") { try ExtendedKey(parsing: text) }
            guard case .invalidExtendedKey(let why)? = error else {
                Issue.record("\(reason): wrong error \(String(describing: error))")
                continue
            }
            #expect(why.contains(Self.expectedPhrase(for: reason)), "\(reason) -> \(why)")
        }
    }

    static func expectedPhrase(for reason: String) -> String {
        switch reason {
        case "pubkey version / prvkey mismatch": "is for public keys, but the key data holds a private key"
        case "prvkey version / pubkey mismatch": "is for private keys, but the key data holds a public key"
        case "invalid pubkey prefix 04": "starts with 0x04; a public version (0x0488b21e) needs 0x02 or 0x03"
        case "invalid prvkey prefix 04": "starts with 0x04; a private version (0x0488ade4) needs 0x00"
        case "invalid pubkey prefix 01": "starts with 0x01; a public version (0x0488b21e) needs 0x02 or 0x03"
        case "invalid prvkey prefix 01": "starts with 0x01; a private version (0x0488ade4) needs 0x00"
        case "zero depth with non-zero parent fingerprint": "with non-zero parent fingerprint 0x01010101"
        case "zero depth with non-zero index": "with non-zero child number 16843009"
        case "unknown extended key version": "unknown version 0x01010101"
        case "private key 0 not in 1..n-1", "private key n not in 1..n-1": "the private key is not in 1...n-1"
        case "invalid checksum": "checksum mismatch"
        default:
            reason.hasPrefix("invalid pubkey 02")
                ? "the public key \(reason.dropFirst("invalid pubkey ".count)) is not a point" : "UNMAPPED \(reason)"
        }
    }

    @Test func overlongTextIsRefusedBeforeDecoding() throws {
        let text = String(repeating: "x", count: 113)
        #expect(throws: CryptoError.invalidExtendedKey("it is 113 characters; a BIP-32 extended key has at most 112")) {
            try ExtendedKey(parsing: text)
        }
        // A short valid Base58Check string of the wrong size is refused by length.
        #expect(throws: CryptoError.invalidExtendedKey("it decodes to 21 bytes; a BIP-32 extended key is 78")) {
            try ExtendedKey(parsing: "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH")
        }
    }

    @Test func hardenedChildOfAPublicKeyIsRefused() throws {
        let master = try ExtendedKey.master(seed: Array(0..<16))
        #expect(throws: CryptoError.invalidDerivationPath("hardened index 0' needs the private key; this extended key is public only")) {
            try master.neutered.derivedChild(DerivationPath.hardenedOffset)
        }
    }

    @Test func seedLengthIsChecked() {
        #expect(throws: CryptoError.invalidLength(what: "A BIP-32 seed", expected: "16 to 64", actual: 15)) {
            try ExtendedKey.master(seed: [UInt8](repeating: 1, count: 15))
        }
        #expect(throws: CryptoError.invalidLength(what: "A BIP-32 seed", expected: "16 to 64", actual: 65)) {
            try ExtendedKey.master(seed: [UInt8](repeating: 1, count: 65))
        }
    }

    @Test func depthCannotPass255() throws {
        let master = try ExtendedKey.master(seed: Array(0..<16))
        let deepest = try ExtendedKey(publicKey: master.publicKey, chainCode: master.chainCode, depth: 255,
                                      parentFingerprint: 1, childNumber: 1)
        #expect(throws: CryptoError.invalidDerivationPath("depth 255 is the deepest BIP-32 can serialize; cannot derive child 0")) {
            try deepest.derivedChild(0)
        }
    }

    @Test func identifierAndFingerprint() throws {
        // Test vector 1: m/0' has parent fingerprint 3442193e, the master key's (bip-0032.mediawiki, "Test Vectors").
        let master = try ExtendedKey.master(seed: Array(0..<16))
        #expect(master.fingerprint == 0x3442_193E)
        #expect(Hex.encode(master.identifier) == Hex.encode(Hash.hash160(master.publicKey.compressed)))
        #expect(try master.derivedChild(DerivationPath.hardenedOffset).parentFingerprint == 0x3442_193E)
    }

    @Test func privateVersionOfAPublicKeyIsNil() throws {
        let master = try ExtendedKey.master(seed: Array(0..<16))
        #expect(master.neutered.serialized(version: BitcoinNetwork.main.xprvVersion) == nil)
        #expect(master.neutered.serialized(version: BitcoinNetwork.main.xpubVersion) == master.xpub())
        #expect(master.xpub(network: .test).hasPrefix("tpub"))
        #expect(master.xprv(network: .test)?.hasPrefix("tprv") == true)
        // Testnet keys parse strictly too.
        #expect(try ExtendedKey(parsing: master.xpub(network: .test)) == master.neutered)
    }

    @Test func descriptionHidesThePrivateKey() throws {
        let master = try ExtendedKey.master(seed: Array(0..<16))
        let privateHex = Hex.encode(try #require(master.privateKey).bytes)
        #expect(!"\(master)".contains(privateHex))
        #expect("\(master)".contains(master.xpub()))
    }

    @Test func slip132VersionsNeedToBeAllowed() throws {
        let master = try ExtendedKey.master(seed: Array(0..<16))
        let zpub = try #require(master.serialized(version: BitcoinNetwork.main.extendedPublicKeyVersion(for: .p2wpkh)))
        #expect(zpub.hasPrefix("zpub"))
        #expect(throws: CryptoError.self) { try ExtendedKey(parsing: zpub) }
        #expect(try ExtendedKey(parsing: zpub, allowedVersions: ExtendedKey.slip132Versions) == master.neutered)
        let zprv = try #require(master.serialized(version: BitcoinNetwork.main.extendedPrivateKeyVersion(for: .p2wpkh)))
        #expect(zprv.hasPrefix("zprv"))
        #expect(try ExtendedKey(parsing: zprv, allowedVersions: ExtendedKey.slip132Versions) == master)
    }
}
