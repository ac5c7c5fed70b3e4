import BridgeCore

// The APDUs that the Ledger OS (BOLOS) answers, in the dashboard or inside any app (CLA B0), plus the dashboard's
// open-app command. Sources: ledger-secure-sdk `io/include/os_io_default_apdu.h` (`DEFAULT_APDU_CLA 0xB0`,
// `INS_GET_VERSION 0x01`, `INS_APP_EXIT 0xA7`); ledger-live `libs/ledger-live-common/src/hw/getAppAndVersion.ts`,
// `quitApp.ts`, `openApp.ts`; device-sdk-ts `OpenAppCommand.ts` (../shared/reference/ledger.md section 3).

/// GET APP AND VERSION (`B0 01 00 00 00`): the app that is open ("BOLOS" for the dashboard) and its version.
///
/// Reply: `01 | nameLen | name | versionLen | version | [flagsLen | flags]`; the dashboard omits the flags
/// (ledger-secure-sdk `io/src/os_io_default_apdu.c get_version`). The format byte must be 1, as ledger-live's parser
/// requires.
public struct LedgerGetAppAndVersion: APDUOperation {
    public typealias Output = AppInfo

    /// Maps error status words; 5515 (locked) is the one to expect here.
    public var context: LedgerStatusWord.Context

    public init(context: LedgerStatusWord.Context = LedgerStatusWord.Context(app: "Ethereum")) {
        self.context = context
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        try APDUCommand(cla: 0xB0, ins: 0x01)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<AppInfo> {
        .finished(try LedgerGetAppAndVersion.decode(try response.requireOK(context)))
    }

    /// Decodes the reply data (without the status word).
    public static func decode(_ data: [UInt8]) throws(DeviceError) -> AppInfo {
        var reader = LedgerReplyReader(data, what: "GET APP AND VERSION reply")
        let format = try reader.byte("format byte")
        guard format == 1 else {
            throw .protocolError("GET APP AND VERSION reply has format byte \(format); only format 1 is known")
        }
        let name = try reader.text(length: Int(try reader.byte("app name length")), "app name")
        let version = try reader.text(length: Int(try reader.byte("version length")), "version")
        var flags: [UInt8] = []
        if !reader.isAtEnd {
            flags = try reader.bytes(Int(try reader.byte("flags length")), "flags")
        }
        try reader.expectEnd()
        return AppInfo(name: name, version: version, flags: flags)
    }
}

/// OPEN APP (`E0 D8 00 00 Lc name`), sent from the dashboard: asks the user to open the app `name` (e.g. "Ethereum").
///
/// On success the device re-enumerates, so the caller must reopen the transport. 5501 (the user refused) maps to
/// ``DeviceError/rejectedOnDevice``; 6807 / 670A / 5123 (no such app) to ``DeviceError/wrongApp(expected:open:)``
/// naming the app to install.
public struct LedgerOpenApp: APDUOperation {
    public typealias Output = Void

    /// The app name as the device lists it: "Ethereum", "Bitcoin", "Bitcoin Test".
    public let name: String
    public var context: LedgerStatusWord.Context

    /// `context` defaults to one that names `name` as the app needed, and the dashboard as the open one.
    public init(name: String, context: LedgerStatusWord.Context? = nil) {
        self.name = name
        self.context = context ?? LedgerStatusWord.Context(app: name, openApp: "BOLOS")
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw .badArgument("Ledger app name \"\(name)\" must be non-empty printable ASCII")
        }
        return try APDUCommand(cla: 0xE0, ins: 0xD8, data: bytes)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<Void> {
        try LedgerReplyReader.expectEmpty(try response.requireOK(context), "OPEN APP reply")
        return .finished(())
    }
}

/// QUIT APP (`B0 A7 00 00 00`): closes the open app and returns to the dashboard. The device answers 9000, then
/// re-enumerates, so the caller must reopen the transport.
public struct LedgerQuitApp: APDUOperation {
    public typealias Output = Void

    public var context: LedgerStatusWord.Context

    public init(context: LedgerStatusWord.Context = LedgerStatusWord.Context(app: "BOLOS")) {
        self.context = context
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        try APDUCommand(cla: 0xB0, ins: 0xA7)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<Void> {
        try LedgerReplyReader.expectEmpty(try response.requireOK(context), "QUIT APP reply")
        return .finished(())
    }
}
