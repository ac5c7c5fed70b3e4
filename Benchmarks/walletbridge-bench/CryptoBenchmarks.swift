import BridgeCore
import BridgeCrypto
import CCrypto
import CNettle
import CSecp256k1
import Foundation

/// `walletbridge-bench crypto`: each BridgeCrypto operation beside the raw C call that does the same work.
struct CryptoBenchmarks {
    let harness: BenchmarkHarness

    // Test keys only (secp256k1.json / eip712.json); never use them for funds.
    static let privateKeyBytes = Hex.decode("c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4")!
    static let digest = Hash.sha256(Array("WalletBridge benchmark".utf8))
    static let mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

    func run() throws {
        let rows = keccak() + (try secp256k1()) + [try bip32PublicDerivation()] + (try eip712Mail()) + [try bip39Seed()]
        Report.printTable(title: "walletbridge-bench crypto (best of \(harness.rounds) rounds of \(harness.roundDuration))", rows)
        print()
        print("targets: sign, verify, recover at >= 90% of raw C; EIP-712 Mail digest >= 200,000/s on one core")
        for row in rows where ["secp256k1 sign", "secp256k1 verify", "secp256k1 recover"].contains(row.name) {
            print("  \(row.name): \(String(format: "%.1f%%", row.ratio * 100)) \(row.ratio >= 0.9 ? "met" : "NOT met")")
        }
        for mail in rows where mail.name.hasPrefix("EIP-712") {
            print("  \(mail.name): \(Report.format(mail.swiftRate))/s \(mail.swiftRate >= 200_000 ? "met" : "NOT met")")
        }
    }

    // MARK: Keccak-256

    /// The raw C baseline is nettle's SHA3-256: the same Keccak-f[1600] sponge and rate, driven entirely in C.
    func keccak() -> [Comparison] {
        [32, 1024].map { size in
            let input = [UInt8](repeating: 0xA3, count: size)
            var output = [UInt8](repeating: 0, count: 32)
            var context = sha3_256_ctx()
            let rates = harness.compare({ blackHole(Keccak256.hash(input)) }, against: {
                nettle_sha3_256_init(&context)
                nettle_sha3_256_update(&context, input.count, input)
                nettle_sha3_256_digest(&context, 32, &output)
                blackHole(output)
            })
            return Comparison(name: "Keccak-256 \(size == 32 ? "32 B" : "1 KiB")", swiftRate: rates.swift, baselineRate: rates.baseline,
                              baselineName: "nettle sha3_256 (same sponge in C)")
        }
    }

    // MARK: secp256k1

    func secp256k1() throws -> [Comparison] {
        let key = try PrivateKey(Self.privateKeyBytes)
        let publicKey = key.publicKey
        let signature = try key.sign(digest: Self.digest)
        let recoverable = try key.signRecoverable(digest: Self.digest)

        let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        defer { secp256k1_context_destroy(context) }
        var rawSignature = secp256k1_ecdsa_signature()
        var rawPublicKey = secp256k1_pubkey()
        var rawRecoverable = secp256k1_ecdsa_recoverable_signature()
        var recoveredKey = secp256k1_pubkey()
        _ = secp256k1_ec_pubkey_create(context, &rawPublicKey, Self.privateKeyBytes)
        _ = secp256k1_ecdsa_sign(context, &rawSignature, Self.digest, Self.privateKeyBytes, nil, nil)
        _ = secp256k1_ecdsa_sign_recoverable(context, &rawRecoverable, Self.digest, Self.privateKeyBytes, nil, nil)

        let sign = try harness.compare({ blackHole(try key.sign(digest: Self.digest)) }, against: {
            var out = secp256k1_ecdsa_signature()
            _ = secp256k1_ecdsa_sign(context, &out, Self.digest, Self.privateKeyBytes, nil, nil)
            blackHole(out)
        })
        let verify = harness.compare({ precondition(publicKey.isValidSignature(signature, digest: Self.digest)) }, against: {
            precondition(secp256k1_ecdsa_verify(context, &rawSignature, Self.digest, &rawPublicKey) == 1)
        })
        let recover = try harness.compare({ blackHole(try PublicKey.recover(from: recoverable, digest: Self.digest)) }, against: {
            precondition(secp256k1_ecdsa_recover(context, &recoveredKey, &rawRecoverable, Self.digest) == 1)
        })
        return [
            Comparison(name: "secp256k1 sign", swiftRate: sign.swift, baselineRate: sign.baseline, baselineName: "secp256k1_ecdsa_sign"),
            Comparison(name: "secp256k1 verify", swiftRate: verify.swift, baselineRate: verify.baseline, baselineName: "secp256k1_ecdsa_verify"),
            Comparison(name: "secp256k1 recover", swiftRate: recover.swift, baselineRate: recover.baseline, baselineName: "secp256k1_ecdsa_recover"),
        ]
    }

    // MARK: BIP-32

    /// Public child derivation (CKDpub) of non-hardened children 0..999 from an account xpub. The C baseline does
    /// what BIP-32 requires for a child key: serialize the parent point, HMAC-SHA512, tweak-add, and HASH160 of the
    /// parent for the child's parent fingerprint.
    func bip32PublicDerivation() throws -> Comparison {
        let seed = try Mnemonic(phrase: Self.mnemonic).seed()
        let account = try ExtendedKey.master(seed: seed).derived(DerivationPath(parsing: "m/44'/0'/0'")).neutered
        var index: UInt32 = 0
        let swift: () throws -> Void = {
            blackHole(try account.derivedChild(index))
            index = (index + 1) % 1000
        }

        let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        defer { secp256k1_context_destroy(context) }
        let sha512 = EVP_MD_fetch(nil, "SHA512", nil)
        let sha256 = EVP_MD_fetch(nil, "SHA256", nil)
        let ripemd160 = EVP_MD_fetch(nil, "RIPEMD160", nil)
        defer { EVP_MD_free(sha512); EVP_MD_free(sha256); EVP_MD_free(ripemd160) }
        var parent = secp256k1_pubkey()
        let parentBytes = account.publicKey.compressed
        _ = secp256k1_ec_pubkey_parse(context, &parent, parentBytes, 33)
        let chainCode = account.chainCode
        var data = [UInt8](repeating: 0, count: 37)
        var mac = [UInt8](repeating: 0, count: 64)
        var shaOut = [UInt8](repeating: 0, count: 32)
        var fingerprint = [UInt8](repeating: 0, count: 20)
        var rawIndex: UInt32 = 0
        let raw: () -> Void = {
            var length = 33
            _ = secp256k1_ec_pubkey_serialize(context, &data, &length, &parent, UInt32(SECP256K1_EC_COMPRESSED))
            data[33] = UInt8(rawIndex >> 24)
            data[34] = UInt8(truncatingIfNeeded: rawIndex >> 16)
            data[35] = UInt8(truncatingIfNeeded: rawIndex >> 8)
            data[36] = UInt8(truncatingIfNeeded: rawIndex)
            var macLength: UInt32 = 0
            _ = HMAC(sha512, chainCode, Int32(chainCode.count), data, data.count, &mac, &macLength)
            var child = parent
            _ = secp256k1_ec_pubkey_tweak_add(context, &child, mac)
            var digestLength: UInt32 = 0
            _ = EVP_Digest(data, 33, &shaOut, &digestLength, sha256, nil)
            _ = EVP_Digest(shaOut, 32, &fingerprint, &digestLength, ripemd160, nil)
            blackHole((child, fingerprint))
            rawIndex = (rawIndex + 1) % 1000
        }
        let rates = try harness.compare(swift, against: raw)
        return Comparison(name: "BIP-32 public derivation", swiftRate: rates.swift, baselineRate: rates.baseline,
                          baselineName: "serialize + HMAC + tweak_add + HASH160 in C")
    }

    // MARK: EIP-712

    /// The EIP-712 "Mail" example: digest of a prepared `TypedData` (types parsed, type hashes cached), and from
    /// parsed JSON (types validated as well). No C library encodes EIP-712, so the baseline is the floor of the
    /// prepared digest: the same 13 Keccak-256 sponges (14 permutations) on the same lengths, driven entirely in C.
    func eip712Mail() throws -> [Comparison] {
        let json = try JSONValue(parsing: Self.mailJSON)
        let typedData = try TypedData(json: json)
        let expected = Hex.decode("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")!
        guard try typedData.digest() == expected else {
            throw GenericBridgeError(.internalError, "EIP-712 Mail digest does not match the specification's value")
        }

        // What the prepared digest hashes: 5 strings, 3 EIP-55 checksum checks of mixed-case addresses (40 hex
        // digits each), 2 Person structs (96 bytes), the Mail struct (128), the domain struct (160, two permutations)
        // and the 66-byte 0x1901 form.
        let inputs: [[UInt8]] = [
            Array("Ether Mail".utf8), Array("1".utf8), Array("Cow".utf8), Array("Bob".utf8), Array("Hello, Bob!".utf8),
            [UInt8](repeating: 0x61, count: 40), [UInt8](repeating: 0x62, count: 40), [UInt8](repeating: 0x63, count: 40),
            [UInt8](repeating: 1, count: 96), [UInt8](repeating: 2, count: 96), [UInt8](repeating: 3, count: 128),
            [UInt8](repeating: 4, count: 160), [UInt8](repeating: 5, count: 66),
        ]
        var context = sha3_256_ctx()
        var output = [UInt8](repeating: 0, count: 32)
        let floor: () -> Void = {
            for input in inputs {
                nettle_sha3_256_init(&context)
                nettle_sha3_256_update(&context, input.count, input)
                nettle_sha3_256_digest(&context, 32, &output)
            }
            blackHole(output)
        }
        let prepared = try harness.compare({ blackHole(try typedData.digest()) }, against: floor)
        let fromJSON = try harness.compare({ blackHole(try TypedData(json: json).digest()) }, against: floor)
        let floorName = "floor: its 13 Keccak sponges in C"
        return [
            Comparison(name: "EIP-712 Mail digest (prepared)", swiftRate: prepared.swift, baselineRate: prepared.baseline, baselineName: floorName),
            Comparison(name: "EIP-712 Mail digest (from JSON)", swiftRate: fromJSON.swift, baselineRate: fromJSON.baseline, baselineName: floorName),
        ]
    }

    // MARK: BIP-39

    func bip39Seed() throws -> Comparison {
        let mnemonic = try Mnemonic(phrase: Self.mnemonic)
        let password = Array(Self.mnemonic.utf8)
        let salt = Array("mnemonicTREZOR".utf8)
        let sha512 = EVP_MD_fetch(nil, "SHA512", nil)
        defer { EVP_MD_free(sha512) }
        var out = [UInt8](repeating: 0, count: 64)
        let rates = harness.compare({ blackHole(try? mnemonic.seed(passphrase: "TREZOR")) }, against: {
            _ = PKCS5_PBKDF2_HMAC(password.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self) },
                                  Int32(password.count), salt, Int32(salt.count), 2048, sha512, 64, &out)
            blackHole(out)
        })
        return Comparison(name: "BIP-39 seed (2048 rounds)", swiftRate: rates.swift, baselineRate: rates.baseline,
                          baselineName: "PKCS5_PBKDF2_HMAC")
    }

    /// ethereum/EIPs assets/eip-712/Example.js (the "Mail" example), as eth_signTypedData_v4 JSON.
    static let mailJSON = """
        {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},
        {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
        "Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],
        "Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},
        "primaryType":"Mail",
        "domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}
        """
}
