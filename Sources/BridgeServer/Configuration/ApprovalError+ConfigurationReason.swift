import BridgeApprovals

extension ApprovalError {
    /// The reason without the "Invalid request:" lead-in, which would only repeat "Invalid configuration:".
    var configurationReason: String {
        switch self {
        case .invalidRequest(let why), .invalidAmount(let why): why
        default: message
        }
    }
}
