import Synchronization

/// Parsed policy sets keyed by the keccak256 of their canonical text, so deciding a transfer costs a dictionary
/// lookup, not a JSON parse. Keyed by content rather than version number: a version written by a transaction that
/// later rolled back can never leave a wrong entry behind, because equal text parses to an equal set.
final class PolicySetCache: Sendable {
    /// Versions in use at once are few (the effective one, a proposal being checked); past this the cache starts over.
    static let capacity = 16

    private let entries = Mutex<[[UInt8]: PolicySet]>([:])

    func policy(hash: [UInt8]) -> PolicySet? {
        entries.withLock { $0[hash] }
    }

    func remember(_ policy: PolicySet, hash: [UInt8]) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = policy
        }
    }
}
