import BridgeApprovals

// Settings kept with the data: the deployment id, the policy fingerprint, the API key's hash.
extension PostgresStoreTransaction {
    func metadata(_ key: String) throws(ApprovalError) -> String? {
        try queryFirst("SELECT value FROM metadata WHERE key = $1", [key]) { row throws(ApprovalError) in try row.string(0) }
    }

    func setMetadata(_ key: String, _ value: String) throws(ApprovalError) {
        try run(
            "INSERT INTO metadata (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, value]
        )
    }
}
