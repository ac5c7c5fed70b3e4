extension ApprovalError {
    /// The same error with `context` in front of its message, for configuration errors found deep in a rule.
    func prefixed(_ context: String) -> ApprovalError {
        switch self {
        case .invalidRequest(let why): .invalidRequest("\(context): \(why)")
        case .invalidAmount(let why): .invalidRequest("\(context): \(why)")
        default: self
        }
    }
}
