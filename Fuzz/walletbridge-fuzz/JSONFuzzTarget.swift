import BridgeCore

/// The JSON parser every request body goes through. Properties: it never traps; what it accepts serializes to text
/// that parses back to the same value, and that text is a fixed point of serialization.
struct JSONFuzzTarget: FuzzTarget {
    static let name = "json"

    func run(_ input: [UInt8]) {
        guard let value = try? JSONValue(parsing: input) else { return }
        let text = value.serialized()
        guard let again = try? JSONValue(parsing: text) else {
            require(false, "the serialization of an accepted document does not parse: \(text)")
            return
        }
        require(again == value, "a document changed through serialize and parse: \(text)")
        require(again.serialized() == text, "serialization is not a fixed point: \(text)")
    }
}
