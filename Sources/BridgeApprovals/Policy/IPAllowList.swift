#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The addresses the CRM may call from: IPv4 and IPv6 networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`)
/// or single addresses (`203.0.113.7`, `::1`).
///
/// An EMPTY list allows every address: the allow-list is an extra fence on top of the CRM's API key and request
/// signature, and a deployment that configures none has chosen not to use it.
///
/// An IPv4 client seen through a dual-stack socket as IPv4-mapped IPv6 (`::ffff:203.0.113.7`) matches the IPv4
/// entries, and an IPv4 client matches IPv6 entries that cover its mapped form (`::ffff:0:0/96`, `::/0`): every
/// address is compared in its 16-byte IPv6 form.
public struct IPAllowList: Sendable, Equatable {
    /// One network of the list.
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        /// The network address in 16-byte IPv6 form (IPv4 as `::ffff:a.b.c.d`), host bits zero.
        let network: [UInt8]
        /// Leading bits of `network` that must match, out of 128.
        let prefixLength: Int
        /// Written as IPv4 (`10.0.0.0/8`) rather than IPv6.
        public let isIPv4: Bool

        /// Parses `address` or `address/prefix` with `inet_pton`. Refuses anything else, including a prefix
        /// outside 0...32 (IPv4) or 0...128 (IPv6) and host bits set below the prefix (`10.1.0.0/8`: probably
        /// meant `/16` or `10.0.0.0/8`), naming the entry.
        public init(_ text: String) throws(ApprovalError) {
            let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
                throw .invalidRequest("IP allow-list entry \"\(text)\" is not an IPv4 or IPv6 address or CIDR network")
            }
            let familyBits = address.isIPv4 ? 32 : 128
            var prefix = familyBits
            if parts.count == 2 {
                let digits = parts[1]
                guard !digits.isEmpty, digits.count <= 3, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                      let parsed = Int(digits), parsed <= familyBits
                else {
                    throw .invalidRequest("IP allow-list entry \"\(text)\" has a prefix length that is not 0 to \(familyBits)")
                }
                prefix = parsed
            }
            isIPv4 = address.isIPv4
            prefixLength = prefix + (address.isIPv4 ? 96 : 0)
            network = Self.masked(address.bytes, prefixLength: prefixLength)
            guard network == address.bytes else {
                let suggestion = Entry(network: network, prefixLength: prefixLength, isIPv4: isIPv4)
                throw .invalidRequest("IP allow-list entry \"\(text)\" has host bits set below its /\(prefix) prefix; "
                    + "write \(suggestion) or a longer prefix")
            }
        }

        private init(network: [UInt8], prefixLength: Int, isIPv4: Bool) {
            self.network = network
            self.prefixLength = prefixLength
            self.isIPv4 = isIPv4
        }

        /// Whether the 16-byte address lies inside this network.
        func contains(_ address: [UInt8]) -> Bool {
            Self.masked(address, prefixLength: prefixLength) == network
        }

        /// Canonical text with its prefix: `10.0.0.0/8`, `203.0.113.7/32`, `2001:db8::/32`.
        public var description: String {
            let address = isIPv4 ? IPAddress.text(ipv4: Array(network[12...])) : IPAddress.text(ipv6: network)
            return "\(address)/\(isIPv4 ? prefixLength - 96 : prefixLength)"
        }

        static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
            bytes.enumerated().map { index, byte in
                let bitsKept = min(max(prefixLength - index * 8, 0), 8)
                return bitsKept == 0 ? 0 : byte & ~(UInt8(0xFF) >> bitsKept)
            }
        }
    }

    public let entries: [Entry]

    init(parsed entries: [Entry]) {
        self.entries = entries
    }

    /// Parses every entry; the first malformed one is an `invalid_request` naming it.
    public init(_ entries: [String]) throws(ApprovalError) {
        var parsed: [Entry] = []
        for text in entries { parsed.append(try Entry(text)) }
        self.entries = parsed
    }

    /// True when the list is empty: every address is allowed.
    public var allowsAll: Bool { entries.isEmpty }

    /// Whether a client at `address` (bare IPv4 or IPv6 text, no port or zone) may call. An empty list allows
    /// every address; otherwise an address that does not parse is refused.
    public func contains(_ address: String) -> Bool {
        guard !allowsAll else { return true }
        guard let parsed = IPAddress(address) else { return false }
        return entries.contains { $0.contains(parsed.bytes) }
    }
}

/// An address parsed by `inet_pton`, in 16-byte IPv6 form.
struct IPAddress {
    /// IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
    let bytes: [UInt8]
    /// Written in dotted-quad IPv4 form.
    let isIPv4: Bool

    /// IPv6 text when it contains a colon, else dotted-quad IPv4; nil when `inet_pton` refuses it.
    init?(_ text: String) {
        // withCString would stop at an embedded NUL and accept "10.0.0.1\0junk" as 10.0.0.1.
        guard !text.utf8.contains(0) else { return nil }
        if text.utf8.contains(UInt8(ascii: ":")) {
            var address = [UInt8](repeating: 0, count: 16)
            guard text.withCString({ inet_pton(AF_INET6, $0, &address) }) == 1 else { return nil }
            bytes = address
            isIPv4 = false
        } else {
            var address = [UInt8](repeating: 0, count: 4)
            guard text.withCString({ inet_pton(AF_INET, $0, &address) }) == 1 else { return nil }
            bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + address
            isIPv4 = true
        }
    }

    static func text(ipv4 bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    static func text(ipv6 bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, bytes, &buffer, socklen_t(buffer.count)) != nil else {
            return bytes.map { String($0, radix: 16) }.joined(separator: ".")  // unreachable for 16 bytes
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension IPAllowList {
    /// No entries. As an allow-list it allows everyone; as a list of trusted proxies it trusts no one (callers of
    /// ``containsEntry(for:)`` get false).
    public static let none = IPAllowList(parsed: [])

    /// Whether `address` falls in one of the entries; false for an empty list or an address that does not parse
    /// (unlike ``contains(_:)``, which allows everything when the list is empty).
    public func containsEntry(for address: String) -> Bool {
        guard let parsed = IPAddress(address) else { return false }
        return entries.contains { $0.contains(parsed.bytes) }
    }

    /// `address` as one canonical text (`::ffff:10.0.0.1` and `10.0.0.1` are both `10.0.0.1`), or nil when it is not
    /// an IPv4 or IPv6 address.
    public static func canonical(_ address: String) -> String? {
        guard let parsed = IPAddress(address) else { return nil }
        let mapped = parsed.bytes.prefix(12).elementsEqual([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF])
        return mapped ? IPAddress.text(ipv4: Array(parsed.bytes.suffix(4))) : IPAddress.text(ipv6: parsed.bytes)
    }
}
