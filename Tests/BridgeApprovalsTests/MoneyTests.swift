import BridgeApprovals
import Glibc
import Testing

@Suite("Exact money in minor units")
struct MoneyTests {
    @Test(arguments: [
        ("1000.50", 2, Int128(100_050)) as (String, Int, Int128), ("1000.5", 2, 100_050), ("-100.5", 2, -10_050), ("0.00000001", 8, 1),
        ("1", 8, 100_000_000), ("2E3", 2, 200_000), ("1.5e-1", 2, 15), ("100.000", 2, 10_000), ("0", 2, 0),
        ("123456789.12345678", 8, 12_345_678_912_345_678), ("7", 0, 7), ("-0.01", 2, -1),
    ])
    func parses(text: String, decimals: Int, expected: Int128) throws {
        #expect(try MinorUnits.parse(text, decimals: decimals) == expected)
    }

    @Test(arguments: [
        ("0.001", 2, "more precision") as (String, Int, String), ("1.5", 0, "more precision"), ("abc", 2, "not a decimal number"),
        ("", 2, "not a decimal number"), ("1..2", 2, "two decimal points"), ("1e", 2, "malformed exponent"),
        ("1e999", 2, "malformed exponent"), ("10000000000000000000000000000000000001", 0, "too large"), ("1e37", 0, "too large"), ("--1", 2, "not a decimal number"),
        ("1,5", 2, "not a decimal number"), ("0.1e-2", 2, "more precision"),
    ])
    func refuses(text: String, decimals: Int, reason: String) {
        #expect {
            try MinorUnits.parse(text, decimals: decimals)
        } throws: { error in
            guard case .invalidAmount(let why) = error as? ApprovalError else { return false }
            return why.contains(reason)
        }
    }

    @Test func formatsWithExactlyTheCurrencysDecimals() {
        #expect(MinorUnits.format(100_050, decimals: 2) == "1000.50")
        #expect(MinorUnits.format(-10_050, decimals: 2) == "-100.50")
        #expect(MinorUnits.format(1, decimals: 8) == "0.00000001")
        #expect(MinorUnits.format(0, decimals: 2) == "0.00")
        #expect(MinorUnits.format(7, decimals: 0) == "7")
        #expect(MinorUnits.format(Int128.min + 1, decimals: 2) == "-1701411834604692317316873037158841057.27")
        // Either side of the 64-bit fast path.
        #expect(MinorUnits.format(Int128(UInt64.max), decimals: 2) == "184467440737095516.15")
        #expect(MinorUnits.format(Int128(UInt64.max) + 1, decimals: 2) == "184467440737095516.16")
        #expect(MinorUnits.format(-Int128(UInt64.max) - 1, decimals: 0) == "-18446744073709551616")
    }

    /// The formatter writes its digits 19 at a time; checked against the plain construction (the standard library's
    /// decimal text, the point inserted) around every boundary of that: 10^19, UInt64.max, Int128's ends, and
    /// pseudo-random values of every size, for every decimals a currency may have. `appendFormatted` writes the same.
    @Test func formatsAsTheStandardLibrarysDecimalTextWithThePointInserted() {
        func reference(_ amount: Int128, _ decimals: Int) -> String {
            var digits = Array(String(amount.magnitude).utf8)
            if decimals > 0 {
                if digits.count <= decimals { digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimals - digits.count + 1), at: 0) }
                digits.insert(UInt8(ascii: "."), at: digits.count - decimals)
            }
            return (amount < 0 ? "-" : "") + String(decoding: digits, as: UTF8.self)
        }
        var amounts: [Int128] = [0, 1, 9, 10, Int128.max, Int128.min, Int128.min + 1]
        for power in [Int128(10_000_000_000_000_000_000), Int128(UInt64.max), Int128(10_000_000_000_000_000_000) * 10_000_000_000_000_000_000] {
            amounts += [power - 1, power, power + 1]
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for size in 1...126 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let random = Int128(truncatingIfNeeded: (UInt128(state) << 64) | UInt128(state ^ 0xA5A5_A5A5_A5A5_A5A5))
            amounts.append(random >> (127 - size))
        }
        for amount in amounts + amounts.map({ $0 == .min ? .max : -$0 }) {
            for decimals in 0...18 {
                let expected = reference(amount, decimals)
                #expect(MinorUnits.format(amount, decimals: decimals) == expected)
                var bytes = Array("x".utf8)
                MinorUnits.appendFormatted(amount, decimals: decimals, to: &bytes)
                #expect(bytes == Array(("x" + expected).utf8))
            }
        }
    }

    @Test func roundTripsEveryValueInAFewRanges() throws {
        for decimals in [0, 2, 8] {
            for value in [Int128(0), 1, -1, 99, 100, 101, 123_456_789, -987_654_321] {
                #expect(try MinorUnits.parse(MinorUnits.format(value, decimals: decimals), decimals: decimals) == value)
            }
        }
    }

    @Test func timestampsFormatAsRFC3339UTC() {
        #expect(Timestamp(secondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_000_000_123).rfc3339 == "2026-11-18T11:06:40.123Z")
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 100))
        clock.advance(by: .seconds(2 * 3600))
        #expect(clock.now() == Timestamp(secondsSinceEpoch: 7300))
    }

    /// The arithmetic date agrees with glibc's `gmtime_r` from 1900 to 2400, leap days and centuries included;
    /// instants before 1970 count back, and the extremes of the range are written rather than trapped on.
    @Test func rfc3339AgreesWithGmtime() {
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, -2_208_988_800, 13_569_465_600]
        let samples = edges + (0..<20_000).map { _ in Int64.random(in: -2_208_988_800...13_569_465_600, using: &generator) }
        for seconds in samples {
            var whole = time_t(seconds)
            var broken = tm()
            gmtime_r(&whole, &broken)
            let expected = padded(4, Int(broken.tm_year) + 1900) + "-" + padded(2, Int(broken.tm_mon) + 1) + "-"
                + padded(2, Int(broken.tm_mday)) + "T" + padded(2, Int(broken.tm_hour)) + ":"
                + padded(2, Int(broken.tm_min)) + ":" + padded(2, Int(broken.tm_sec)) + "Z"
            #expect(Timestamp(secondsSinceEpoch: seconds).rfc3339 == expected, "\(seconds)")
        }
        #expect(Timestamp(millisecondsSinceEpoch: -500).rfc3339 == "1969-12-31T23:59:59.500Z")
        #expect(Timestamp(millisecondsSinceEpoch: 951_782_400_007).rfc3339 == "2000-02-29T00:00:00.007Z")
        #expect(Timestamp(millisecondsSinceEpoch: .max).rfc3339 == "292278994-08-17T07:12:55.807Z")
        #expect(Timestamp(millisecondsSinceEpoch: .min).rfc3339 == "-292275055-05-16T16:47:04.192Z")
    }
}

/// `value` in decimal, zero-padded to `width` digits (the test's own formatting, independent of Timestamp's).
private func padded(_ width: Int, _ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
