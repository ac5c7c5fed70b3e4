/// How typed data is shown on the device.
public enum TypedDataSigningMode: String, Sendable, CaseIterable {
    /// Field by field (clear signing): the operator reads what they approve.
    case full
    /// Only the domain hash and message hash (blind signing).
    case hashed
}
