import BridgeApprovals
import BridgeCore

/// Committed wallets by (external user, currency), so the CRM's balance reads (`GET /wallets/getOne`, the busiest
/// request) are answered without a SQLite read transaction: measured on the HTTP benchmark, the transaction's file
/// locks and statement steps cost more than the rest of the request together.
///
/// A cached wallet must never be older than what a read would see, so the rules are:
/// - A write transaction that inserts or updates a wallet removes it from the cache and marks it dirty *before* it
///   commits ("begin write"); a dirty wallet cannot be cached. After the group commits or rolls back, the dirty marks
///   go ("end writes"). Every begin and end bumps the generation.
/// - A lookup notes the generation before its read snapshot begins, and keeps what it read only if the generation is
///   still that one (no write began or ended meanwhile, so what it read is still the committed value). A cached wallet
///   is therefore always the committed one: any change removes it before committing and bumps the generation after.
///
/// Only single lookups use it (``SQLiteApprovalStore/committedWallet(externalUserID:currency:)``): inside a read that
/// also runs statements, a cached wallet could be newer than that read's snapshot.
///
/// The service is the only writer of its database (other processes, such as `walletbridge audit verify`, only read),
/// so every wallet change passes through these rules. Guarded by one mutex; at most `capacity` wallets are kept.
final class SQLiteWalletCache: Sendable {
    struct Key: Hashable {
        let externalUserID: String
        let currency: String
    }

    private struct State {
        var generation: UInt64 = 0
        var wallets: [Key: Wallet] = [:]
        var dirty: Set<Key> = []
    }

    private let state = SleepingMutex(State())
    let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = max(0, capacity)
    }

    /// The generation a lookup notes before its read begins.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// The cached wallet, if any and if no write began or ended since `generation` was noted.
    func wallet(_ key: Key, generation: UInt64) -> Wallet? {
        state.withLock { state in state.generation == generation ? state.wallets[key] : nil }
    }

    /// Keeps `wallet`, read by a snapshot that began after `generation` was noted, unless a write began or ended since.
    func remember(_ wallet: Wallet, generation: UInt64) {
        let key = Key(externalUserID: wallet.externalUserID, currency: wallet.currency)
        state.withLock { state in
            guard state.generation == generation, !state.dirty.contains(key) else { return }
            if state.wallets.count >= capacity, state.wallets[key] == nil {
                // Simplest bound: start again rather than track recency (the working set refills on the next reads).
                state.wallets.removeAll(keepingCapacity: true)
                guard capacity > 0 else { return }
            }
            state.wallets[key] = wallet
        }
    }

    /// A write transaction is about to change `wallet`: forget it and keep it out until ``endWrites()``.
    func beginWrite(_ wallet: Wallet) {
        let key = Key(externalUserID: wallet.externalUserID, currency: wallet.currency)
        state.withLock { state in
            state.wallets[key] = nil
            state.dirty.insert(key)
            state.generation &+= 1
        }
    }

    /// The writer's transaction committed or rolled back: the wallets it touched may be cached again by snapshots
    /// that start from now on.
    func endWrites() {
        state.withLock { state in
            guard !state.dirty.isEmpty else { return }
            state.dirty.removeAll(keepingCapacity: true)
            state.generation &+= 1
        }
    }

    /// How many wallets are cached (tests).
    var count: Int { state.withLock { $0.wallets.count } }
}
