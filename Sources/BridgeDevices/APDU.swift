import BridgeCore

/// A short ISO 7816-4 command APDU as Ledger apps take it: `CLA INS P1 P2 Lc data`.
public struct APDUCommand: Sendable, Equatable, CustomStringConvertible {
    public let cla: UInt8
    public let ins: UInt8
    public let p1: UInt8
    public let p2: UInt8
    public let data: [UInt8]

    /// A command; data is limited to 255 bytes (short APDUs, one Lc byte).
    public init(cla: UInt8, ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = []) throws(DeviceError) {
        guard data.count <= 255 else {
            throw .badArgument("APDU data is \(data.count) bytes; a short APDU carries at most 255")
        }
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
    }

    /// The bytes on the wire. Lc is always present, `00` for an empty body, as ledgerjs `Transport.send` does
    /// (../shared/reference/ledger.md section 2).
    public var bytes: [UInt8] { [cla, ins, p1, p2, UInt8(data.count)] + data }

    /// Parses a command as a device receives it; a 4-byte header without Lc means empty data.
    public init(parsing bytes: [UInt8]) throws(DeviceError) {
        guard bytes.count >= 4 else { throw .protocolError("APDU of \(bytes.count) bytes is shorter than its 4-byte header") }
        let data: [UInt8]
        if bytes.count == 4 {
            data = []
        } else {
            let length = Int(bytes[4])
            guard bytes.count == 5 + length else {
                throw .protocolError("APDU Lc says \(length) bytes but \(bytes.count - 5) follow")
            }
            data = Array(bytes[5...])
        }
        try self.init(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3], data: data)
    }

    public var description: String { Hex.encode(bytes) }
}

/// A response APDU: data followed by the 2-byte status word.
public struct APDUResponse: Sendable, Equatable, CustomStringConvertible {
    public let data: [UInt8]
    public let statusWord: UInt16

    public init(data: [UInt8] = [], statusWord: UInt16) {
        self.data = data
        self.statusWord = statusWord
    }

    /// Splits `bytes` into data and status word.
    public init(parsing bytes: [UInt8]) throws(DeviceError) {
        guard bytes.count >= 2 else { throw .protocolError("response of \(bytes.count) bytes has no status word") }
        data = Array(bytes.dropLast(2))
        statusWord = UInt16(bytes[bytes.count - 2]) << 8 | UInt16(bytes[bytes.count - 1])
    }

    /// data || SW1 SW2.
    public var bytes: [UInt8] { data + [UInt8(statusWord >> 8), UInt8(statusWord & 0xFF)] }

    public static let ok: UInt16 = 0x9000
    public var isOK: Bool { statusWord == APDUResponse.ok }

    public var description: String { Hex.encode(bytes) }
}
