import BridgeApprovals
import BridgeCore

/// `MinorUnits.parse`, which every amount goes through. The input's first byte picks the decimals (0-18), the rest
/// is the amount's text. Properties: it never traps; an accepted amount is within ±10^36, formats to text that parses
/// back to the same value, and has the value ``DecimalLiteral`` reads from the text; the JavaScript check agrees with
/// itself.
struct MinorUnitsFuzzTarget: FuzzTarget {
    static let name = "money"

    func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let decimals = Int(first % 19)
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        if let number = JSONNumber(text: text) { _ = number.survivesJavaScriptNumber }
        guard let amount = try? MinorUnits.parse(text, decimals: decimals) else { return }
        require(amount.magnitude <= MinorUnits.maximumMagnitude.magnitude, "\(text) parsed beyond 10^36: \(amount)")
        let formatted = MinorUnits.format(amount, decimals: decimals)
        require((try? MinorUnits.parse(formatted, decimals: decimals)) == amount,
                "\(text) -> \(amount) -> \(formatted) does not parse back")
        guard let literal = DecimalLiteral(text), let canonical = DecimalLiteral(formatted) else {
            require(false, "\(text) was accepted but is not a decimal literal")
            return
        }
        require(literal == canonical, "\(text) and \(formatted) differ in value")
    }
}
