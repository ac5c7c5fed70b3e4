import BridgeCore

/// Why the session manager refused a request. Each case knows its HTTP status, the CRM's snake_case `type`
/// (CONTRACT.md 2.1) and the contract code for the operator API and CLI.
public enum ApprovalError: BridgeError, Equatable {
    // Money and orders (the CRM's error types).
    case invalidAmount(String)
    case currencyNotSupported(String)
    case accountNotFound(externalUserID: String, currency: String)
    case insufficientFunds(available: String, requested: String, currency: String)
    case duplicateOrder(orderID: String)
    case orderNotFound(orderID: String)
    case invalidRequest(String)

    // Operators, sessions and approvals (the operator API).
    case orderNotPending(orderID: String, status: OrderStatus)
    case policyDenied(policy: String)
    case invalidSignature(String)
    case notEnrolled(address: String)
    case operatorRevoked(name: String)
    case notAllowedByPolicy(String)
    case alreadyDecided(operatorName: String, orderID: String)
    case replayedSignature
    case expired(String)
    case inviteInvalid(String)
    case sessionInvalid(String)
    case challengeInvalid(String)
    case forbidden(String)
    /// A state that does not allow the change: already voted, already effective, a stale version (-23, 409).
    case conflict(String)
    /// A named thing that does not exist (an operator, a policy version, a wallet): 404.
    case notFound(String)
    /// The same transfer was refused before for a business reason and keeps that answer (CONTRACT 4): the status and
    /// type it got then.
    case refusedBefore(TransferRefusal)
    /// Too many requests from one client in a short time (login challenges): 429.
    case rateLimited(String)

    /// The database failed; nothing was changed.
    case storage(String)
    /// The database cannot be reached now (a restart, a network cut): nothing was changed, and the same request
    /// may be sent again once it is back (HTTP 503 with `Retry-After`).
    case unavailable(String)

    public var code: ErrorCode {
        switch self {
        case .storage, .unavailable: .internalError
        case .sessionInvalid, .challengeInvalid, .operatorRevoked: .notSignedIn
        case .notAllowedByPolicy, .forbidden, .policyDenied: .notPermitted
        case .alreadyDecided, .orderNotPending, .replayedSignature, .duplicateOrder, .conflict: .conflict
        case .expired: .expired
        case .rateLimited: .busy
        default: .badArgument
        }
    }

    /// The HTTP status the API answers with.
    public var httpStatus: Int {
        switch self {
        case .orderNotFound, .accountNotFound, .notFound: 404
        case .duplicateOrder, .alreadyDecided, .replayedSignature, .orderNotPending, .conflict: 409
        case .sessionInvalid, .challengeInvalid, .invalidSignature, .notEnrolled, .operatorRevoked: 401
        case .forbidden, .notAllowedByPolicy, .policyDenied: 403
        case .storage: 500
        case .unavailable: 503
        case .rateLimited: 429
        case .refusedBefore(let refusal): refusal.status
        default: 400
        }
    }

    /// The snake_case error type the CRM's error shape carries (`{"error":true,"code":400,"type":"..."}`).
    public var type: String {
        switch self {
        case .invalidAmount: "invalid_amount"
        case .currencyNotSupported: "currency_not_supported"
        case .accountNotFound: "account_not_found"
        case .insufficientFunds: "insufficient_funds"
        case .duplicateOrder: "duplicate_order"
        case .orderNotFound: "order_not_found"
        case .invalidRequest: "invalid_request"
        case .orderNotPending: "order_not_pending"
        case .policyDenied: "policy_denied"
        case .invalidSignature: "signature_invalid"
        case .notEnrolled: "operator_not_enrolled"
        case .operatorRevoked: "operator_revoked"
        case .notAllowedByPolicy: "operator_not_allowed"
        case .alreadyDecided: "already_decided"
        case .replayedSignature: "signature_replayed"
        case .expired: "expired"
        case .inviteInvalid: "invite_invalid"
        case .sessionInvalid: "session_invalid"
        case .challengeInvalid: "challenge_invalid"
        case .forbidden: "forbidden"
        case .conflict: "conflict"
        case .notFound: "not_found"
        case .storage: "internal_error"
        case .unavailable: "service_unavailable"
        case .refusedBefore(let refusal): refusal.type
        case .rateLimited: "too_many_requests"
        }
    }

    public var message: String {
        switch self {
        case .invalidAmount(let why): "Invalid amount: \(why)"
        case .currencyNotSupported(let code): "Currency \(code) is not supported"
        case .accountNotFound(let user, let currency): "No \(currency) wallet for external user \(user)"
        case .insufficientFunds(let available, let requested, let currency):
            "Insufficient funds: \(requested) \(currency) requested, \(available) \(currency) available"
        case .duplicateOrder(let id): "Order \(id) was already received with different content"
        case .orderNotFound(let id): "No order \(id)"
        case .invalidRequest(let why): "Invalid request: \(why)"
        case .orderNotPending(let id, let status): "Order \(id) is \(status.rawValue), not pending approval"
        case .policyDenied(let policy): "Policy \(policy) denies this transfer"
        case .invalidSignature(let why): "Invalid signature: \(why)"
        case .notEnrolled(let address): "\(address) is not an enrolled operator"
        case .operatorRevoked(let name): "Operator \(name) has been revoked"
        case .notAllowedByPolicy(let why): "Not allowed by the policy: \(why)"
        case .alreadyDecided(let name, let id): "Operator \(name) already decided on order \(id)"
        case .replayedSignature: "This signature was already used"
        case .expired(let what): "\(what) has expired"
        case .inviteInvalid(let why): "Invalid invite: \(why)"
        case .sessionInvalid(let why): "Invalid session: \(why)"
        case .challengeInvalid(let why): "Invalid login challenge: \(why)"
        case .forbidden(let why): "Forbidden: \(why)"
        case .conflict(let why): "Conflict: \(why)"
        case .notFound(let what): "Not found: \(what)"
        case .storage(let why): "Storage failure: \(why)"
        case .unavailable(let why): "The database is unavailable: \(why)"
        case .refusedBefore(let refusal):
            "Order \(refusal.orderID) was refused at \(refusal.createdAt.rfc3339) and keeps that answer: \(refusal.message)"
        case .rateLimited(let why): "Too many requests: \(why)"
        }
    }

    public var hint: String {
        switch self {
        case .sessionInvalid: "Sign in again: the CLI asks your device to sign a new login challenge."
        case .notEnrolled: "Enrol first: `walletbridge operator enroll` with an invite from an admin."
        case .expired: "Ask for a new one and sign it before it expires."
        case .invalidSignature, .replayedSignature: "Fetch the approval again and sign it on your device."
        case .storage: "Check the database file and disk; the change was not applied."
        case .unavailable: "Send the same request again in a moment; nothing was changed."
        case .conflict: "Fetch the current state and act on that; nothing was changed."
        case .notFound: "Check the name or id (list them with the matching `list` or `show` command)."
        case .orderNotPending, .alreadyDecided: "Nothing to do: the order's state is final or your decision is recorded."
        case .duplicateOrder: "Use a new order_id for a different transfer; a retry must repeat the original content."
        case .notAllowedByPolicy, .forbidden, .policyDenied: "Ask an admin which operators the policy accepts for this transfer."
        case .orderNotFound, .accountNotFound: "Check the id; list pending transfers with `walletbridge operator pending`."
        case .invalidAmount, .invalidRequest, .currencyNotSupported: "Fix the request's fields (CONTRACT section 2) and send it again."
        case .insufficientFunds: "Credit the wallet first, or send a smaller debit."
        case .refusedBefore: "Use a new order_id: this one was refused and is recorded as failed."
        case .rateLimited: "Wait a minute before asking again."
        case .inviteInvalid: "Ask an admin for a new invite: `walletbridge admin invite --role approver`."
        case .challengeInvalid, .operatorRevoked: "Sign in again with your enrolled device; a revoked operator needs a new enrolment."
        }
    }
}
