import BridgeApprovals
import BridgeServer
import Testing

/// `http.trustedProxies` entries: the CIDR grammar both families share, and membership as the forwarded-client
/// resolution and the per-address connection limit use it.
@Suite("Trusted proxy CIDRs")
struct TrustedProxyTests {
    @Test("IPv4 and IPv6 networks and single addresses parse to their canonical form", arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("127.0.0.1", "127.0.0.1/32"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::1", "::1/128"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("fd00::/8", "fd00::/8"),
    ])
    func validEntries(text: String, canonical: String) throws {
        #expect(try IPAllowList.Entry(text).description == canonical)
    }

    @Test("Bad entries are refused, never trusted", arguments: [
        "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0", "256.0.0.1", "2001:db8::g",
        "proxy.example", "", " 10.0.0.1", "10.0.0.1/8",
    ])
    func badEntries(text: String) {
        #expect(throws: ApprovalError.self) { try IPAllowList.Entry(text) }
    }

    @Test("Membership: a network holds its addresses, IPv4-mapped IPv6 peers match IPv4 networks, nothing else matches")
    func membership() throws {
        let trusted = try IPAllowList(["10.0.0.0/8", "2001:db8::/32"])
        #expect(trusted.containsEntry(for: "10.255.0.1"))
        #expect(trusted.containsEntry(for: "::ffff:10.1.2.3"))
        #expect(trusted.containsEntry(for: "2001:db8:ffff::1"))
        #expect(!trusted.containsEntry(for: "11.0.0.1"))
        #expect(!trusted.containsEntry(for: "2001:db9::1"))
        #expect(!trusted.containsEntry(for: "not-an-ip"))
        #expect(!IPAllowList.none.containsEntry(for: "10.0.0.1"), "no trusted proxies: nobody's header is believed")
    }

    @Test("The brief's case: from 10.0.0.0/8 with X-Forwarded-For 203.0.113.9, 10.0.0.5 the client is 203.0.113.9")
    func rightmostUntrusted() throws {
        let trusted = try IPAllowList(["10.0.0.0/8"])
        #expect(ForwardedClient.address(peer: "10.0.0.1", forwardedFor: "203.0.113.9, 10.0.0.5", trustedProxies: trusted)
                == "203.0.113.9")
        #expect(ForwardedClient.address(peer: "192.0.2.1", forwardedFor: "203.0.113.9, 10.0.0.5", trustedProxies: trusted)
                == "192.0.2.1")
    }
}
