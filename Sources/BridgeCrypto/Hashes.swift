import BridgeCore
import CCrypto
import Foundation

/// Digests and MACs from libcrypto (OpenSSL 3). The EVP_MD handles are fetched once and shared.
public enum Hash {
    /// The message digests WalletBridge uses, fetched once from OpenSSL's default provider.
    final class Algorithms: @unchecked Sendable {
        // EVP_MD pointers are immutable after fetch and safe to share between threads (OpenSSL 3 docs,
        // "Explicit fetching"); fetching per call takes a lock and costs more than hashing 32 bytes.
        let sha256: OpaquePointer
        let sha512: OpaquePointer
        let ripemd160: OpaquePointer
        let sha1: OpaquePointer

        init() {
            func fetch(_ name: String) -> OpaquePointer {
                // RIPEMD160 is back in the default provider since OpenSSL 3.0.7 (build-notes.md section 1).
                guard let md = EVP_MD_fetch(nil, name, nil) else {
                    preconditionFailure("OpenSSL has no \(name): install libssl3 >= 3.0.7")
                }
                return md
            }
            sha256 = fetch("SHA256")
            sha512 = fetch("SHA512")
            ripemd160 = fetch("RIPEMD160")
            sha1 = fetch("SHA1")
        }
    }

    static let algorithms = Algorithms()

    static func digest(_ md: OpaquePointer, _ data: UnsafeRawBufferPointer, length: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: length) { out, count in
            var written: UInt32 = 0
            let ok = EVP_Digest(data.baseAddress, data.count, out.baseAddress, &written, md, nil)
            precondition(ok == 1 && Int(written) == length, "EVP_Digest failed")
            count = length
        }
    }

    static func digest<D: ContiguousBytes>(_ md: OpaquePointer, _ data: D, length: Int) -> [UInt8] {
        data.withUnsafeBytes { digest(md, $0, length: length) }
    }

    /// SHA-256.
    public static func sha256(_ data: some ContiguousBytes) -> [UInt8] { digest(algorithms.sha256, data, length: 32) }
    /// SHA-512.
    public static func sha512(_ data: some ContiguousBytes) -> [UInt8] { digest(algorithms.sha512, data, length: 64) }
    /// SHA-1 (only for the CRM's request signature, which is defined with it).
    public static func sha1(_ data: some ContiguousBytes) -> [UInt8] { digest(algorithms.sha1, data, length: 20) }
    /// RIPEMD-160.
    public static func ripemd160(_ data: some ContiguousBytes) -> [UInt8] { digest(algorithms.ripemd160, data, length: 20) }
    /// SHA-256 applied twice (Bitcoin's checksums and message digests).
    public static func doubleSHA256(_ data: some ContiguousBytes) -> [UInt8] { sha256(sha256(data)) }
    /// RIPEMD-160(SHA-256(data)): Bitcoin's HASH160 of public keys and scripts.
    public static func hash160(_ data: some ContiguousBytes) -> [UInt8] { ripemd160(sha256(data)) }

    /// HMAC-SHA256(key, data).
    public static func hmacSHA256(key: some ContiguousBytes, data: some ContiguousBytes) -> [UInt8] {
        hmac(algorithms.sha256, key: key, data: data, length: 32)
    }

    /// HMAC-SHA512(key, data).
    public static func hmacSHA512(key: some ContiguousBytes, data: some ContiguousBytes) -> [UInt8] {
        hmac(algorithms.sha512, key: key, data: data, length: 64)
    }

    static func hmac(_ md: OpaquePointer, key: some ContiguousBytes, data: some ContiguousBytes, length: Int) -> [UInt8] {
        key.withUnsafeBytes { key in
            data.withUnsafeBytes { data in
                [UInt8](unsafeUninitializedCapacity: length) { out, count in
                    var written: UInt32 = 0
                    // A zero-length key still needs a valid pointer for OpenSSL.
                    let keyPointer = key.baseAddress ?? UnsafeRawPointer(out.baseAddress!)
                    let result = HMAC(md, keyPointer, Int32(key.count), data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                      data.count, out.baseAddress, &written)
                    precondition(result != nil && Int(written) == length, "HMAC failed")
                    count = length
                }
            }
        }
    }

    /// PBKDF2-HMAC-SHA512 (BIP-39 seeds).
    public static func pbkdf2SHA512(password: some ContiguousBytes, salt: some ContiguousBytes, iterations: Int, length: Int) -> [UInt8] {
        password.withUnsafeBytes { password in
            salt.withUnsafeBytes { salt in
                [UInt8](unsafeUninitializedCapacity: length) { out, count in
                    let ok = PKCS5_PBKDF2_HMAC(
                        password.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(password.count),
                        salt.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(salt.count),
                        Int32(iterations), algorithms.sha512, Int32(length), out.baseAddress)
                    precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
                    count = length
                }
            }
        }
    }
}

/// Comparison and randomness that must not leak through timing or be predictable.
public enum SecureBytes {
    /// True when `a` and `b` are equal, in time that depends only on their length (OpenSSL CRYPTO_memcmp).
    public static func constantTimeEqual(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
        a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard a.count > 0 else { return true }
                return CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
            }
        }
    }

    /// `count` bytes from OpenSSL's CSPRNG (seeded from the kernel).
    public static func random(count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else {
            throw .libraryFailure("RAND_bytes could not produce random bytes")
        }
        return out
    }
}
