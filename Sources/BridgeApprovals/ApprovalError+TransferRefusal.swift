extension ApprovalError {
    /// The refusals a transfer's `order_id` keeps (CONTRACT 4). Authentication failures and unreadable requests
    /// (`invalid_request`) are not business answers and are never remembered; `policy_denied` is kept as a rejected
    /// order.
    public var isRememberedTransferRefusal: Bool {
        switch self {
        case .insufficientFunds, .accountNotFound, .currencyNotSupported, .invalidAmount: true
        default: false
        }
    }

    /// The HTTP status the CRM gets for this refusal of a transfer: CONTRACT 2.1 lists `account_not_found` among the
    /// transfer's 400s (the vendor's own API answers 400 too), where a lookup answers 404.
    public var transferStatus: Int {
        if case .accountNotFound = self { return 400 }
        return httpStatus
    }
}
