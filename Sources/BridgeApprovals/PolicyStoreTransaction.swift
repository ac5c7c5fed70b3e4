/// The policy versions and their approvals, as a store transaction reads and writes them (part of
/// ``StoreTransaction``). Lookups return nil for a missing row; inserts fail with ``ApprovalError/storage(_:)`` on a
/// duplicate key, and a store refuses a second `effective` version, a second vote of one operator on one version
/// and a signature used twice.
public protocol PolicyStoreTransaction: AnyObject {
    /// The number and hash of the version in force (status `effective`), or nil before any was seeded. Every
    /// transfer reads it, so a store answers it from an index; the hash keys the service's cache of parsed sets.
    func effectivePolicyVersion() throws(ApprovalError) -> (version: Int, hash: [UInt8])?
    func policyVersion(_ version: Int) throws(ApprovalError) -> PolicyVersion?
    /// Versions in ascending order, all of them or those in `status`.
    func policyVersions(status: PolicyVersion.Status?) throws(ApprovalError) -> [PolicyVersion]
    /// The highest version number stored, or nil when there is none.
    func latestPolicyVersion() throws(ApprovalError) -> Int?
    func insertPolicyVersion(_ version: PolicyVersion) throws(ApprovalError)
    /// Writes a version's status and `effectiveAt`; its policy, hash and nonce never change.
    func updatePolicyVersion(_ version: PolicyVersion) throws(ApprovalError)

    /// The votes on `version`, oldest first.
    func policyApprovals(version: Int) throws(ApprovalError) -> [PolicyApproval]
    /// The vote that carries `signature`, if any (a replayed signature is refused).
    func policyApproval(signature: [UInt8]) throws(ApprovalError) -> PolicyApproval?
    func insertPolicyApproval(_ approval: PolicyApproval) throws(ApprovalError)
}
