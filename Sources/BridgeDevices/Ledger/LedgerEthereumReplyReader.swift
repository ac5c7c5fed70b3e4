/// Reads a Ledger reply field by field; every shortfall or leftover is a ``DeviceError/protocolError`` that names the
/// reply and the field, so a malformed answer from a device is reported, never trapped on.
// Used by the Ethereum and the dashboard operations alike (the file is named for ownership, not for scope).
struct LedgerReplyReader {
    private let data: [UInt8]
    private var offset = 0
    /// e.g. "GET ETH PUBLIC ADDRESS reply", for the error messages.
    let what: String

    init(_ data: [UInt8], what: String) {
        self.data = data
        self.what = what
    }

    var isAtEnd: Bool { offset == data.count }
    var remaining: Int { data.count - offset }

    mutating func byte(_ field: String) throws(DeviceError) -> UInt8 {
        try bytes(1, field)[0]
    }

    mutating func bytes(_ count: Int, _ field: String) throws(DeviceError) -> [UInt8] {
        guard count <= remaining else {
            throw .protocolError("\(what) of \(data.count) bytes ends inside its \(field) (\(count) bytes needed at offset \(offset))")
        }
        defer { offset += count }
        return Array(data[offset..<offset + count])
    }

    /// `length` bytes of UTF-8 text (app names and versions are ASCII).
    mutating func text(length: Int, _ field: String) throws(DeviceError) -> String {
        let raw = try bytes(length, field)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .protocolError("\(what) has a \(field) that is not UTF-8 text")
        }
        return text
    }

    func expectEnd() throws(DeviceError) {
        guard isAtEnd else {
            throw .protocolError("\(what) has \(remaining) unexpected bytes after its last field (\(data.count) bytes in all)")
        }
    }

    /// Replies that carry only the status word.
    static func expectEmpty(_ data: [UInt8], _ what: String) throws(DeviceError) {
        guard data.isEmpty else { throw .protocolError("\(what) should be only a status word, but carries \(data.count) data bytes") }
    }
}
