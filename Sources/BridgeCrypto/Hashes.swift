import BridgeCore
import CNettle
import Glibc
import FoundationEssentials

/// Digests, MACs and PBKDF2 from nettle (the CNettle shim's one-shot calls).
public enum Hash {
    /// A one-shot nettle call writing `length` bytes.
    static func output(length: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: length) { out, count in
            body(out.baseAddress!)
            count = length
        }
    }

    /// Where an empty input points: nettle copies zero bytes from it, and C does not allow NULL even for that.
    nonisolated(unsafe) static let emptyInput = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

    static func start(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyInput
    }

    static func digest(_ function: (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> Void,
                       _ data: some ContiguousBytes, length: Int) -> [UInt8] {
        data.withUnsafeBytes { data in
            output(length: length) { function(start(data), data.count, $0) }
        }
    }

    /// SHA-256.
    public static func sha256(_ data: some ContiguousBytes) -> [UInt8] { digest(walletbridge_sha256, data, length: 32) }
    /// SHA-512.
    public static func sha512(_ data: some ContiguousBytes) -> [UInt8] { digest(walletbridge_sha512, data, length: 64) }
    /// SHA-1 (only for the CRM's request signature, which is defined with it).
    public static func sha1(_ data: some ContiguousBytes) -> [UInt8] { digest(walletbridge_sha1, data, length: 20) }
    /// RIPEMD-160.
    public static func ripemd160(_ data: some ContiguousBytes) -> [UInt8] { digest(walletbridge_ripemd160, data, length: 20) }
    /// SHA-256 applied twice (Bitcoin's checksums and message digests).
    public static func doubleSHA256(_ data: some ContiguousBytes) -> [UInt8] { sha256(sha256(data)) }
    /// RIPEMD-160(SHA-256(data)): Bitcoin's HASH160 of public keys and scripts.
    public static func hash160(_ data: some ContiguousBytes) -> [UInt8] { ripemd160(sha256(data)) }

    /// HMAC-SHA256(key, data).
    public static func hmacSHA256(key: some ContiguousBytes, data: some ContiguousBytes) -> [UInt8] {
        hmac(walletbridge_hmac_sha256, key: key, data: data, length: 32)
    }

    /// HMAC-SHA512(key, data).
    public static func hmacSHA512(key: some ContiguousBytes, data: some ContiguousBytes) -> [UInt8] {
        hmac(walletbridge_hmac_sha512, key: key, data: data, length: 64)
    }

    static func hmac(_ function: (UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> Void,
                     key: some ContiguousBytes, data: some ContiguousBytes, length: Int) -> [UInt8] {
        key.withUnsafeBytes { key in
            data.withUnsafeBytes { data in
                output(length: length) {
                    function(start(key), key.count, start(data), data.count, $0)
                }
            }
        }
    }

    /// PBKDF2-HMAC-SHA512 (BIP-39 seeds).
    public static func pbkdf2SHA512(password: some ContiguousBytes, salt: some ContiguousBytes, iterations: Int, length: Int) -> [UInt8] {
        precondition(iterations >= 1 && iterations <= Int(UInt32.max), "PBKDF2 iterations out of range")
        return password.withUnsafeBytes { password in
            salt.withUnsafeBytes { salt in
                output(length: length) {
                    walletbridge_pbkdf2_hmac_sha512(start(password), password.count, start(salt), salt.count,
                                                    UInt32(iterations), $0, length)
                }
            }
        }
    }
}

/// Comparison and randomness that must not leak through timing or be predictable.
public enum SecureBytes {
    /// True when `a` and `b` are equal, in time that depends only on their length (nettle's memeql_sec).
    public static func constantTimeEqual(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
        a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard a.count > 0 else { return true }
                return walletbridge_memeql_sec(a.baseAddress, b.baseAddress, a.count) == 1
            }
        }
    }

    /// True when `presented` (what a client sent) equals `secret`, in time that depends only on `presented`'s length,
    /// which its sender knows already: unlike ``constantTimeEqual(_:_:)``, a length that differs is not answered early,
    /// so the secret's length does not leak either. Each presented byte is compared with the secret's bytes taken in
    /// turn (from the start again past its end), and the lengths' difference is folded into the result.
    ///
    /// This replaces comparing SHA-256 digests of the two, which hides the length as well but cost every balance
    /// read a hash of the key (issue 16's read profile).
    public static func matchesSecret(_ presented: String, _ secret: [UInt8]) -> Bool {
        var presented = presented
        return presented.withUTF8 { presented in
            secret.withUnsafeBufferPointer { secret in
                var difference = UInt(bitPattern: presented.count ^ secret.count)
                guard !secret.isEmpty else { return difference == 0 }
                var index = 0
                for byte in presented {
                    difference |= UInt(byte ^ secret[index])
                    index += 1
                    // Wraps without a branch on the secret's length (a conditional move).
                    index = index == secret.count ? 0 : index
                }
                return difference == 0
            }
        }
    }

    /// `count` bytes from the kernel's CSPRNG (getentropy(3), i.e. getrandom(2): it blocks only until the pool is
    /// first seeded at boot).
    public static func random(count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            // getentropy gives at most 256 bytes a call.
            let chunk = min(256, count - filled)
            let status = out.withUnsafeMutableBytes { getentropy($0.baseAddress! + filled, chunk) }
            guard status == 0 else { throw .libraryFailure("getentropy could not produce random bytes (errno \(errno))") }
            filled += chunk
        }
        return out
    }
}
