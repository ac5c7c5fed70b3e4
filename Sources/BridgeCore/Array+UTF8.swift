extension Array where Element == UInt8 {
    /// Appends `text`'s UTF-8 bytes, copied at once from the string's own storage when it has one (a native
    /// string): the generic `append(contentsOf: text.utf8)` walks a view and costs several times as much, which
    /// matters where every request's answer and log line are written.
    public mutating func appendUTF8(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: text.utf8) }
    }

    /// Appends a literal's UTF-8 bytes: a `StaticString`'s are already in the binary, so this is one copy without
    /// the `String` machinery ``appendUTF8(_:)`` goes through (each access-log line and balance answer writes a dozen).
    public mutating func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends `value` in decimal (`-12`, `0`, `4096`), written digit by digit without making a `String`: access-log
    /// lines carry several numbers per request.
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }
}
