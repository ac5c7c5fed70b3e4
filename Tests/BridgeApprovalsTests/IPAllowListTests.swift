import BridgeApprovals
import Testing

@Suite("The CRM's IP allow-list")
struct IPAllowListTests {
    @Test func ipv4NetworksAndSingleAddresses() throws {
        let list = try IPAllowList(["10.0.0.0/8", "203.0.113.7", "192.168.0.0/22"])
        #expect(list.contains("10.0.0.0"))
        #expect(list.contains("10.255.1.2"))
        #expect(!list.contains("11.0.0.1"))
        #expect(!list.contains("9.255.255.255"))
        #expect(list.contains("203.0.113.7"))
        #expect(!list.contains("203.0.113.8"))
        #expect(!list.contains("203.0.113.6"))
        // A prefix that does not end on a byte boundary.
        #expect(list.contains("192.168.3.255"))
        #expect(!list.contains("192.168.4.0"))
        #expect(!list.contains("192.167.255.255"))
    }

    @Test func ipv6NetworksAndSingleAddresses() throws {
        let list = try IPAllowList(["::1/128", "2001:db8::/32", "fd00:1:2:2::/63"])
        #expect(list.contains("::1"))
        #expect(list.contains("0:0:0:0:0:0:0:1"))
        #expect(!list.contains("::2"))
        #expect(list.contains("2001:db8::1"))
        #expect(list.contains("2001:DB8:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(!list.contains("2001:db9::1"))
        #expect(list.contains("fd00:1:2:3:ffff::1"))
        #expect(list.contains("fd00:1:2:2::1"))
        #expect(!list.contains("fd00:1:2:4::1"))
        #expect(!list.contains("fd00:1:2:1::1"))
        // IPv6 entries say nothing about IPv4 clients outside the mapped range.
        #expect(!list.contains("127.0.0.1"))
    }

    @Test func ipv4MappedIPv6ClientsMatchIPv4Entries() throws {
        let list = try IPAllowList(["10.0.0.0/8", "203.0.113.7"])
        #expect(list.contains("::ffff:10.1.2.3"))
        #expect(list.contains("::FFFF:203.0.113.7"))
        #expect(list.contains("::ffff:cb00:7107"))  // 203.0.113.7 in hex groups
        #expect(!list.contains("::ffff:203.0.113.8"))
        #expect(!list.contains("::ffff:11.0.0.1"))
        // Only the mapped prefix: the same 32 bits elsewhere in IPv6 are another address.
        #expect(!list.contains("::10.1.2.3"))
        #expect(!list.contains("64:ff9b::10.1.2.3"))
    }

    @Test func ipv4ClientsMatchIPv6EntriesCoveringTheirMappedForm() throws {
        let mapped = try IPAllowList(["::ffff:0:0/96"])
        #expect(mapped.contains("1.2.3.4"))
        #expect(!mapped.contains("2001:db8::1"))
        let everything = try IPAllowList(["::/0"])
        #expect(everything.contains("1.2.3.4"))
        #expect(everything.contains("2001:db8::1"))
        let everyIPv4 = try IPAllowList(["0.0.0.0/0"])
        #expect(everyIPv4.contains("255.255.255.255"))
        #expect(everyIPv4.contains("::ffff:1.2.3.4"))
        #expect(!everyIPv4.contains("2001:db8::1"))
    }

    @Test func anEmptyListAllowsEveryAddress() throws {
        let list = try IPAllowList([])
        #expect(list.allowsAll)
        #expect(list.contains("198.51.100.1"))
        #expect(list.contains("2001:db8::1"))
        #expect(list.contains("not an address"))
    }

    @Test func aNonEmptyListRefusesAddressesThatDoNotParse() throws {
        let list = try IPAllowList(["0.0.0.0/0", "::/0"])
        #expect(!list.allowsAll)
        for address in ["", "localhost", "10.0.0.1:8080", "10.0.0.1\u{0}", "[::1]", "fe80::1%eth0", " 10.0.0.1", "10.0.0.1/32"] {
            #expect(!list.contains(address), "\(address)")
        }
    }

    @Test func entriesPrintInCanonicalForm() throws {
        let list = try IPAllowList(["10.0.0.0/8", "203.0.113.7", "::1", "2001:0DB8:0000::/32", "::ffff:0:0/96"])
        #expect(list.entries.map(\.description) == ["10.0.0.0/8", "203.0.113.7/32", "::1/128", "2001:db8::/32",
                                                    "::ffff:0.0.0.0/96"])
        #expect(list.entries.map(\.isIPv4) == [true, true, false, false, false])
    }

    @Test(arguments: [
        ("10.0.0.0/33", "has a prefix length that is not 0 to 32"),
        ("::1/129", "has a prefix length that is not 0 to 128"),
        ("10.0.0.0/", "has a prefix length"),
        ("10.0.0.0/-1", "has a prefix length"),
        ("10.0.0.0/+8", "has a prefix length"),
        ("10.0.0.0/ 8", "has a prefix length"),
        ("10.0.0.0/0008", "has a prefix length"),
        ("10.0.0.0/8/8", "is not an IPv4 or IPv6 address"),
        ("10.0.0/8", "is not an IPv4 or IPv6 address"),
        ("10.0.0.256", "is not an IPv4 or IPv6 address"),
        ("10.0.0.1.", "is not an IPv4 or IPv6 address"),
        ("0x0a.0.0.1", "is not an IPv4 or IPv6 address"),
        ("2001:db8:::1", "is not an IPv4 or IPv6 address"),
        ("fe80::1%eth0", "is not an IPv4 or IPv6 address"),
        ("example.com", "is not an IPv4 or IPv6 address"),
        ("", "is not an IPv4 or IPv6 address"),
        (" 10.0.0.1", "is not an IPv4 or IPv6 address"),
        ("10.0.0.1\u{0}/8", "is not an IPv4 or IPv6 address"),
        ("10.0.0.1/8", "has host bits set below its /8 prefix; write 10.0.0.0/8 or a longer prefix"),
        ("2001:db8::1/32", "has host bits set below its /32 prefix; write 2001:db8::/32 or a longer prefix"),
        ("192.168.1.0/22", "has host bits set below its /22 prefix; write 192.168.0.0/22"),
    ])
    func malformedEntriesAreRefusedByName(entry: String, reason: String) {
        let expected = "IP allow-list entry \"\(entry)\" \(reason)"
        #expect {
            try IPAllowList(["127.0.0.1", entry])
        } throws: { error in
            guard case .invalidRequest(let why) = error as? ApprovalError else { return false }
            if !why.hasPrefix(expected) { Issue.record("message was: \(why)") }
            return why.hasPrefix(expected)
        }
    }
}
