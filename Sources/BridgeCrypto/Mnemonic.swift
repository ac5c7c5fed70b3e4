import BridgeCore
import FoundationEssentials

/// A BIP-39 mnemonic in the English wordlist: 12 to 24 words that encode entropy plus a checksum.
///
/// `description` is redacted: the words are a wallet's secret and must not reach logs by accident.
public struct Mnemonic: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The words, each from the English list.
    public let words: [String]
    /// The entropy the words encode (16, 20, 24, 28 or 32 bytes).
    public let entropy: [UInt8]

    /// Entropy lengths BIP-39 allows, in bytes (bitcoin/bips bip-0039.mediawiki, "Generating the mnemonic":
    /// ENT is 128...256 bits in steps of 32).
    public static let entropyByteCounts = [16, 20, 24, 28, 32]
    /// Word counts matching `entropyByteCounts` (MS = (ENT + ENT/32) / 11).
    public static let wordCounts = [12, 15, 18, 21, 24]

    /// The words for `entropy`: 11 bits per word over entropy || first ENT/32 bits of SHA-256(entropy).
    public init(entropy: [UInt8]) throws(CryptoError) {
        guard Self.entropyByteCounts.contains(entropy.count) else {
            throw .invalidLength(what: "BIP-39 entropy", expected: "16, 20, 24, 28 or 32", actual: entropy.count)
        }
        let list = try Self.loadedWordlist.get()
        let checksumBits = entropy.count * 8 / 32
        let bits = BitReader(entropy + [Hash.sha256(entropy)[0]])
        let wordCount = (entropy.count * 8 + checksumBits) / 11
        self.words = (0..<wordCount).map { list.words[bits.value(at: $0 * 11, width: 11)] }
        self.entropy = entropy
    }

    /// Parses a phrase: NFKD-normalized, split on any whitespace; every word must be in the English list, the count
    /// one of 12/15/18/21/24 and the checksum right. Words are not lowercased: the list is lowercase and the seed
    /// depends on the exact text.
    public init(phrase: String) throws(CryptoError) {
        let list = try Self.loadedWordlist.get()
        let normalized = try phrase.nfkd
        let words = normalized.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        guard Self.wordCounts.contains(words.count) else {
            throw .invalidMnemonic("it has \(words.count) words; BIP-39 phrases have 12, 15, 18, 21 or 24")
        }
        var indexes = [Int]()
        indexes.reserveCapacity(words.count)
        for (position, word) in words.enumerated() {
            guard let index = list.indexByWord[word] else {
                let hint = list.indexByWord[word.lowercased()] != nil ? " (the list is lowercase)" : ""
                throw .invalidMnemonic("word \(position + 1) '\(word)' is not in the BIP-39 English list\(hint)")
            }
            indexes.append(index)
        }
        let totalBits = words.count * 11
        let checksumBits = totalBits / 33
        let entropyBytes = (totalBits - checksumBits) / 8
        var packed = [UInt8](repeating: 0, count: (totalBits + 7) / 8)
        for (position, index) in indexes.enumerated() {
            for bit in 0..<11 where (index >> (10 - bit)) & 1 == 1 {
                let offset = position * 11 + bit
                packed[offset / 8] |= 0x80 >> UInt8(offset % 8)
            }
        }
        let entropy = Array(packed[..<entropyBytes])
        let checksum = BitReader(packed).value(at: entropyBytes * 8, width: checksumBits)
        let expected = Int(Hash.sha256(entropy)[0]) >> (8 - checksumBits)
        guard checksum == expected else {
            throw .invalidMnemonic("the checksum does not match: a word is wrong or the words are out of order")
        }
        self.words = words
        self.entropy = entropy
    }

    /// The words joined by single spaces.
    public var phrase: String { words.joined(separator: " ") }

    /// The 64-byte BIP-39 seed: PBKDF2-HMAC-SHA512(NFKD(phrase), "mnemonic" + NFKD(passphrase), 2048 rounds)
    /// (bitcoin/bips bip-0039.mediawiki, "From mnemonic to seed").
    /// The phrase is words of the English list, so already NFKD; the passphrase is the caller's text.
    public func seed(passphrase: String = "") throws(CryptoError) -> [UInt8] {
        let password = Array(phrase.utf8)
        let salt = Array(("mnemonic" + (try passphrase.nfkd)).utf8)
        return Hash.pbkdf2SHA512(password: password, salt: salt, iterations: 2048, length: 64)
    }

    /// "Mnemonic(12 words, redacted)": never the words themselves.
    public var description: String { "Mnemonic(\(words.count) words, redacted)" }
    /// Same as `description`, so `debugPrint` and `dump`-style interpolation stay redacted too.
    public var debugDescription: String { description }

    /// The 2048 English words in order; throws `.libraryFailure` when the bundled list is missing or altered.
    public static var englishWordlist: [String] {
        get throws(CryptoError) { try loadedWordlist.get().words }
    }

    // MARK: - Wordlist

    struct Wordlist: Sendable {
        let words: [String]
        let indexByWord: [String: Int]
    }

    /// SHA-256 of bitcoin/bips bip-0039/english.txt (2048 lines, LF endings), as ../shared/vectors/crypto/README.md
    /// records it.
    static let wordlistSHA256 = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"

    /// Loaded once; a failure is kept so that every use reports it instead of crashing.
    static let loadedWordlist: Result<Wordlist, CryptoError> = Result { () throws(CryptoError) -> Wordlist in
        // Files/bip39-english.txt, compiled in by the EmbedFiles plugin.
        guard let data = embeddedFiles["bip39-english.txt"] else {
            throw .libraryFailure("the BIP-39 wordlist bip39-english.txt is missing from BridgeCrypto's embedded files")
        }
        let digest = Hex.encode(Hash.sha256(data))
        guard digest == wordlistSHA256 else {
            throw .libraryFailure("the embedded BIP-39 wordlist has SHA-256 \(digest), expected \(wordlistSHA256)")
        }
        let words = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        // The hash already pins the content; this guards against a wrong constant above.
        guard words.count == 2048 else {
            throw .libraryFailure("the BIP-39 wordlist has \(words.count) words, expected 2048")
        }
        var indexByWord = [String: Int](minimumCapacity: words.count)
        for (index, word) in words.enumerated() { indexByWord[word] = index }
        return Wordlist(words: words, indexByWord: indexByWord)
    }
}

/// Reads big-endian bit fields out of a byte array.
private struct BitReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The `width`-bit value starting at bit `offset` (bit 0 = most significant bit of byte 0).
    func value(at offset: Int, width: Int) -> Int {
        var value = 0
        for bit in offset..<(offset + width) {
            value = value << 1 | Int(bytes[bit / 8] >> UInt8(7 - bit % 8)) & 1
        }
        return value
    }
}
