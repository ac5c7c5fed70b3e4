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
    /// Formatted by hand (no `String(format:)`): the access log writes one per request.
    public var rfc3339: String {
        let seconds = millisecondsSinceEpoch.quotientAndRemainder(dividingBy: 1000)
        var whole = time_t(seconds.quotient)
        var broken = tm()
        gmtime_r(&whole, &broken)
        var text = [UInt8]()
        text.reserveCapacity(24)
        func append(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        append(Int(broken.tm_year) + 1900, digits: 4)
        text.append(UInt8(ascii: "-"))
        append(Int(broken.tm_mon) + 1, digits: 2)
        text.append(UInt8(ascii: "-"))
        append(Int(broken.tm_mday), digits: 2)
        text.append(UInt8(ascii: "T"))
        append(Int(broken.tm_hour), digits: 2)
        text.append(UInt8(ascii: ":"))
        append(Int(broken.tm_min), digits: 2)
        text.append(UInt8(ascii: ":"))
        append(Int(broken.tm_sec), digits: 2)
        if seconds.remainder != 0 {
            text.append(UInt8(ascii: "."))
            append(Int(seconds.remainder), digits: 3)
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
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
