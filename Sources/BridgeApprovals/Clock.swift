import BridgeCore
import FoundationEssentials
import Glibc
import Synchronization

/// A point in time: whole milliseconds since the Unix epoch (integers, like every stored value).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = secondsSinceEpoch * 1000
    }

    /// Whole seconds (EIP-712 `expiresAt` and similar fields count seconds).
    public var secondsSinceEpoch: Int64 { millisecondsSinceEpoch / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch }

    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch + rhs.wholeMilliseconds)
    }

    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch - rhs.wholeMilliseconds)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .milliseconds(lhs.millisecondsSinceEpoch - rhs.millisecondsSinceEpoch)
    }

    /// RFC 3339 UTC with milliseconds only when they are not zero, e.g. `2026-11-23T03:20:00Z`.
    /// Formatted by hand (no `String(format:)`) and the date computed by arithmetic rather than `gmtime_r`, which
    /// takes glibc's time-zone lock: the access log writes one per request, from every worker thread. Instants
    /// before 1970 count back (`1969-12-31T23:59:59.500Z`); a year outside 0-9999 is written in full, never trapped on.
    public var rfc3339: String {
        var text = [UInt8]()
        text.reserveCapacity(24)
        appendRFC3339(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``rfc3339``'s text to `text`, for writers that build bytes (the access log, once per request).
    public func appendRFC3339(to text: inout [UInt8]) {
        let (seconds, milliseconds) = Self.floorDivision(millisecondsSinceEpoch, 1000)
        let (days, secondOfDay) = Self.floorDivision(seconds, 86_400)
        let date = Self.civilDate(daysSinceEpoch: days)
        // Every field but the year has a fixed width, written with constant divisors (multiplications), not a loop
        // dividing by a variable power of ten: the access log stamps every request.
        if (0...9999).contains(date.year) {
            Self.appendDigits(date.year / 100, width: 2, to: &text)
            Self.appendDigits(date.year % 100, width: 2, to: &text)
        } else {
            text.appendDecimal(Int(date.year))  // written in full, never trapped on
        }
        text.append(UInt8(ascii: "-"))
        Self.appendDigits(date.month, width: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        Self.appendDigits(date.day, width: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        Self.appendDigits(secondOfDay / 3600, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.appendDigits(secondOfDay / 60 % 60, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.appendDigits(secondOfDay % 60, width: 2, to: &text)
        if milliseconds != 0 {
            text.append(UInt8(ascii: "."))
            Self.appendDigits(milliseconds, width: 3, to: &text)
        }
        text.append(UInt8(ascii: "Z"))
    }

    /// `value` (0 to 99, or to 999 for `width` 3) in `width` digits.
    @inline(__always)
    private static func appendDigits(_ value: Int64, width: Int, to text: inout [UInt8]) {
        if width == 3 { text.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        text.append(UInt8(ascii: "0") + UInt8(value / 10 % 10))
        text.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// `value / divisor` rounded down, and the remainder that goes with it (never negative for a positive divisor).
    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01: Howard Hinnant's `civil_from_days`
    /// (howardhinnant.github.io/date_algorithms.html), which counts in 400-year eras of 146,097 days.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public var description: String { rfc3339 }
}

extension Duration {
    /// The duration in whole milliseconds (truncated).
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

/// Where "now" comes from. Injected everywhere, so expiry, velocity windows and retries are tested on a manual
/// clock without sleeping.
public protocol Clock: Sendable {
    func now() -> Timestamp
}

/// The system's wall clock.
public struct SystemClock: Clock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}

/// A clock that moves only when told to: tests and simulations.
public final class ManualClock: Clock {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(secondsSinceEpoch: 1_795_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    public func set(_ time: Timestamp) {
        current.withLock { $0 = time }
    }
}
