import BridgeApprovals
import Synchronization

/// A token bucket per key (a client address): `perMinute` requests at once, then one more every `60 / perMinute`
/// seconds. Used where a request costs the service something an attacker could make it pay for free, such as
/// `POST /operator/challenge`, which needs no authentication and writes a row.
///
/// Memory is bounded: at most `maximumKeys` buckets are kept. Buckets that have refilled completely carry no
/// information and are dropped when room is needed; if every bucket is still draining, a new key is refused until
/// one refills (a flood from very many addresses then slows everyone for at most a minute, never the process).
public final class RateLimiter: Sendable {
    /// What ``acquire(_:)`` decided.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused: a token is available again after this long (the `Retry-After` to send).
        case limited(retryAfter: Duration)
    }

    private struct Bucket {
        /// Tokens in thousandths, so refill needs no floating point.
        var milliTokens: Int64
        var updatedAt: Timestamp
    }

    public let perMinute: Int
    private let maximumKeys: Int
    private let clock: any Clock
    private let buckets = Mutex<[String: Bucket]>([:])

    /// - Parameters:
    ///   - perMinute: the burst, and the sustained rate per minute; at least 1.
    ///   - clock: the session manager's clock; tests pass a `ManualClock`.
    public init(perMinute: Int, maximumKeys: Int = 100_000, clock: any Clock) {
        self.perMinute = max(1, perMinute)
        self.maximumKeys = max(1, maximumKeys)
        self.clock = clock
    }

    /// Takes a token for `key` when one is available.
    public func acquire(_ key: String) -> Decision {
        let now = clock.now()
        let perMinute = Int64(perMinute)
        let capacity = perMinute * 1000
        return buckets.withLock { (buckets: inout [String: Bucket]) -> Decision in
            var bucket: Bucket
            if let existing = buckets[key] {
                // perMinute tokens per 60,000 ms is perMinute / 60 thousandths per millisecond. A minute refills all,
                // which also keeps the product below from overflowing.
                let elapsed = max(0, (now - existing.updatedAt).wholeMilliseconds)
                bucket = existing
                bucket.milliTokens = elapsed >= 60_000 ? capacity : min(capacity, existing.milliTokens + elapsed * perMinute / 60)
            } else {
                guard buckets.count < maximumKeys || dropRefilled(&buckets, now: now) else {
                    return .limited(retryAfter: .seconds(60))
                }
                bucket = Bucket(milliTokens: capacity, updatedAt: now)
            }
            bucket.updatedAt = now
            guard bucket.milliTokens >= 1000 else {
                buckets[key] = bucket
                // ceil((1000 - milliTokens) × 60 / perMinute) milliseconds until a whole token.
                let wait = ((1000 - bucket.milliTokens) * 60 + perMinute - 1) / perMinute
                return .limited(retryAfter: .milliseconds(wait))
            }
            bucket.milliTokens -= 1000
            buckets[key] = bucket
            return .allowed
        }
    }

    /// How many keys hold a bucket (tests; a bucket full again is dropped only when room is needed).
    public var trackedKeys: Int { buckets.withLock { $0.count } }

    /// Drops the buckets that have had a minute to refill (they hold nothing a fresh bucket would not); true when
    /// that made room.
    private func dropRefilled(_ buckets: inout [String: Bucket], now: Timestamp) -> Bool {
        buckets = buckets.filter { (now - $0.value.updatedAt).wholeMilliseconds < 60_000 }
        return buckets.count < maximumKeys
    }
}
