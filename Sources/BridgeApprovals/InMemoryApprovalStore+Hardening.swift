extension InMemoryTransaction {
    // MARK: Refused transfers

    func transferRefusal(orderID: String) throws(ApprovalError) -> TransferRefusal? {
        try checkOpen()
        return tables.refusals[orderID]
    }

    func insertTransferRefusal(_ refusal: TransferRefusal) throws(ApprovalError) {
        try checkOpen()
        guard tables.refusals[refusal.orderID] == nil, tables.orders[refusal.orderID] == nil else {
            throw .storage("duplicate order id \(refusal.orderID)")
        }
        tables.refusals[refusal.orderID] = refusal
        undoLog.append { $0.refusals[refusal.orderID] = nil }
    }

    // MARK: Pruning credentials

    func deleteChallenges(operatorID: String, keeping: Int) throws(ApprovalError) {
        try checkOpen()
        let unused = tables.challenges.values
            .filter { $0.operatorID == operatorID && $0.usedAt == nil }
            .sorted { $0.issuedAt != $1.issuedAt ? $0.issuedAt > $1.issuedAt
                : $0.nonce.lexicographicallyPrecedes($1.nonce) }
        for old in unused.dropFirst(max(0, keeping)) {
            tables.challenges[old.nonce] = nil
            undoLog.append { $0.challenges[old.nonce] = old }
        }
    }

    func deleteExpiredCredentials(before time: Timestamp) throws(ApprovalError) -> (challenges: Int, sessions: Int) {
        try checkOpen()
        let challenges = tables.challenges.values.filter { $0.expiresAt < time }
        for old in challenges {
            tables.challenges[old.nonce] = nil
            undoLog.append { $0.challenges[old.nonce] = old }
        }
        let sessions = tables.sessions.values.filter { $0.expiresAt < time }
        for old in sessions {
            tables.sessions[old.tokenHash] = nil
            undoLog.append { $0.sessions[old.tokenHash] = old }
        }
        return (challenges.count, sessions.count)
    }
}
