import Testing

@testable import BridgeCrypto

@Suite("BIP-32 derivation paths")
struct DerivationPathTests {
    static let h = DerivationPath.hardenedOffset

    @Test func parsesTheUsualForms() throws {
        let expected = DerivationPath(indexes: [44 + Self.h, 60 + Self.h, Self.h, 0, 0])
        for text in ["m/44'/60'/0'/0/0", "m/44h/60h/0h/0/0", "m/44H/60H/0H/0/0", "44'/60'/0'/0/0", "m/44'/60h/0H/0/0"] {
            #expect(try DerivationPath(parsing: text) == expected, "\(text)")
        }
        #expect(expected.description == "m/44'/60'/0'/0/0")
        #expect(expected.purpose == 44)
    }

    @Test func masterIsEmpty() throws {
        let master = try DerivationPath(parsing: "m")
        #expect(master.indexes.isEmpty)
        #expect(master == .master)
        #expect(master.description == "m")
        #expect(master.purpose == nil)
    }

    @Test func extremesOfTheIndexRange() throws {
        let path = try DerivationPath(parsing: "m/2147483647'/2147483647/0")
        #expect(path.indexes == [UInt32.max, 0x7FFF_FFFF, 0])
        #expect(path.description == "m/2147483647'/2147483647/0")
    }

    @Test func purposeNeedsAHardenedFirstIndex() throws {
        #expect(try DerivationPath(parsing: "m/84/0'/0'").purpose == nil)
        #expect(try DerivationPath(parsing: "m/84'/0'/0'").purpose == 84)
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["m/0'/1/2'/2/1000000000", "m/0/2147483647'/1/2147483646'/2", "m/10026'/826421588'/2'/0'"] {
            #expect(try DerivationPath(parsing: text).description == text)
        }
    }

    @Test(arguments: [
        ("", "the path is empty; write m for the master key"),
        ("m/", "level 1 is empty (two slashes in a row, or a trailing slash)"),
        ("m/44'//0", "level 2 is empty (two slashes in a row, or a trailing slash)"),
        ("/44'", "level 1 is empty (two slashes in a row, or a trailing slash)"),
        ("m/44'/x/0", "level 2 ('x') is not a number: write digits, then optionally ' or h for hardened"),
        ("m/4a4", "level 1 ('4a4') is not a number: write digits, then optionally ' or h for hardened"),
        ("m/44''", "level 1 ('44''') is not a number: write digits, then optionally ' or h for hardened"),
        ("M/44'", "level 1 ('M') is not a number: write digits, then optionally ' or h for hardened"),
        ("m/'", "level 1 (''') has no digits before the hardened mark"),
        ("m/2147483648", "level 1 ('2147483648') is 2^31 or more; indexes are 0...2147483647 before the hardened mark"),
        ("m/2147483648'", "level 1 ('2147483648'') is 2^31 or more; indexes are 0...2147483647 before the hardened mark"),
        ("m/99999999999999999999999", "level 1 ('99999999999999999999999') is 2^31 or more; indexes are 0...2147483647 before the hardened mark"),
        ("m/+1", "level 1 ('+1') has a sign; write the index as plain digits"),
        ("m/0/-1", "level 2 ('-1') has a sign; write the index as plain digits"),
        ("m/44' /0", "level 1 ('44' ') contains whitespace"),
        (" m/44'", "level 1 (' m') contains whitespace"),
        ("m/4\t4", "level 1 ('4\t4') contains whitespace"),
    ])
    func rejectsWithAPreciseMessage(text: String, why: String) {
        #expect(throws: CryptoError.invalidDerivationPath(why)) { try DerivationPath(parsing: text) }
    }

    @Test func appendingAddsOneLevel() throws {
        let account = try DerivationPath(parsing: "m/84'/0'/0'")
        #expect(account.appending(0).appending(5).description == "m/84'/0'/0'/0/5")
        #expect(account.appending(Self.h + 1).description == "m/84'/0'/0'/1'")
    }

    @Test func depthLimitIs255() throws {
        let deepest = "m" + String(repeating: "/0", count: 255)
        #expect(try DerivationPath(parsing: deepest).indexes.count == 255)
        #expect(throws: CryptoError.invalidDerivationPath("the path has 256 levels; BIP-32 allows at most 255")) {
            try DerivationPath(parsing: deepest + "/0")
        }
    }
}
