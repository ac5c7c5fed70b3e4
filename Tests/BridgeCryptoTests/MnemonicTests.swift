import BridgeCore
import Foundation
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("BIP-39 mnemonics (crypto/bip39.json)")
struct MnemonicTests {
    static let vectors = Result { try TestVectors.json("crypto/bip39.json") }

    @Test func allReferenceVectors() throws {
        let cases = try Self.vectors.get().array("cases")
        #expect(cases.count == 24)
        for testCase in cases {
            let entropy = try testCase.hex("entropy")
            let phrase = try testCase.string("mnemonic")
            let fromEntropy = try Mnemonic(entropy: entropy)
            #expect(fromEntropy.phrase == phrase)
            let fromPhrase = try Mnemonic(phrase: phrase)
            #expect(fromPhrase.entropy == entropy)
            #expect(fromPhrase == fromEntropy)
            let seed = try fromPhrase.seed(passphrase: try testCase.string("passphrase"))
            #expect(seed == (try testCase.hex("seed")))
            #expect(try ExtendedKey.master(seed: seed).xprv() == (try testCase.string("xprv")))
        }
    }

    @Test func phraseIsSplitOnAnyWhitespace() throws {
        let phrase = "  abandon abandon\tabandon abandon\nabandon abandon abandon abandon abandon abandon abandon\u{3000}about "
        let mnemonic = try Mnemonic(phrase: phrase)
        #expect(mnemonic.entropy == [UInt8](repeating: 0, count: 16))
        #expect(mnemonic.phrase == "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
    }

    @Test func badChecksumIsRejected() {
        #expect(throws: CryptoError.invalidMnemonic("the checksum does not match: a word is wrong or the words are out of order")) {
            try Mnemonic(phrase: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon")
        }
    }

    @Test func unknownWordIsNamedWithItsPosition() {
        #expect(throws: CryptoError.invalidMnemonic("word 3 'abandonn' is not in the BIP-39 English list")) {
            try Mnemonic(phrase: "abandon abandon abandonn abandon abandon abandon abandon abandon abandon abandon abandon about")
        }
        #expect(throws: CryptoError.invalidMnemonic("word 1 'Abandon' is not in the BIP-39 English list (the list is lowercase)")) {
            try Mnemonic(phrase: "Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
        }
    }

    @Test func wrongWordCountIsRejected() {
        #expect(throws: CryptoError.invalidMnemonic("it has 11 words; BIP-39 phrases have 12, 15, 18, 21 or 24")) {
            try Mnemonic(phrase: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
        }
        #expect(throws: CryptoError.invalidMnemonic("it has 0 words; BIP-39 phrases have 12, 15, 18, 21 or 24")) {
            try Mnemonic(phrase: " ")
        }
    }

    @Test func wrongEntropyLengthIsRejected() {
        #expect(throws: CryptoError.invalidLength(what: "BIP-39 entropy", expected: "16, 20, 24, 28 or 32", actual: 17)) {
            try Mnemonic(entropy: [UInt8](repeating: 1, count: 17))
        }
    }

    /// The passphrase is NFKD-normalized: composed and decomposed spellings give one seed.
    @Test func passphraseIsNormalized() throws {
        let mnemonic = try Mnemonic(phrase: "legal winner thank year wave sausage worth useful legal winner thank yellow")
        let composed = try mnemonic.seed(passphrase: "caf\u{E9}")
        #expect(try composed == mnemonic.seed(passphrase: "cafe\u{301}"))
        #expect(try composed != mnemonic.seed(passphrase: "cafe"))
        // Compatibility forms too (the K in NFKD): a ligature and full-width letters are their plain letters.
        #expect(try mnemonic.seed(passphrase: "\u{FB01}x") == mnemonic.seed(passphrase: "fix"))
        #expect(try mnemonic.seed(passphrase: "\u{FF34}\u{FF32}\u{FF25}\u{FF3A}\u{FF2F}\u{FF32}") == mnemonic.seed(passphrase: "TREZOR"))
    }

    /// ICU's NFKD, byte for byte, on what BIP-39 meets: ASCII unchanged, composed letters split, compatibility
    /// characters replaced, Hangul syllables decomposed.
    @Test func nfkdMatchesUnicode() throws {
        #expect(try "TREZOR".nfkd == "TREZOR")
        #expect(try Array("caf\u{E9}".nfkd.unicodeScalars) == Array("cafe\u{301}".unicodeScalars))
        #expect(try Array("\u{FB01}\u{2460}\u{3000}".nfkd.unicodeScalars) == Array("fi1 ".unicodeScalars))
        #expect(try Array("\u{D55C}".nfkd.unicodeScalars.map(\.value)) == [0x1112, 0x1161, 0x11AB])
    }

    @Test func descriptionDoesNotLeakTheWords() throws {
        let mnemonic = try Mnemonic(entropy: [UInt8](repeating: 0x7f, count: 16))
        #expect("\(mnemonic)" == "Mnemonic(12 words, redacted)")
        #expect(!String(reflecting: mnemonic).contains("legal"))
    }

    @Test func shippedWordlistIsTheReferenceFile() throws {
        let shipped = try #require(embeddedFiles["bip39-english.txt"])
        #expect(shipped == (try TestVectors.data("crypto/bip39-english.txt")))
        let words = try Mnemonic.englishWordlist
        #expect(words.count == 2048)
        #expect(words.first == "abandon" && words.last == "zoo")
    }
}
