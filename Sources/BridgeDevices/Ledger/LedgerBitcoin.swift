import BridgeCore
import BridgeCrypto

/// The Ledger Bitcoin app 2.x (LedgerHQ/app-bitcoin-new) APDU vocabulary: CLA E1 for the app's commands, CLA F8
/// INS 01 for CONTINUE, P1 = 0, P2 = the protocol version (`doc/bitcoin.md`; `bitcoin_client/ledger_bitcoin/
/// command_builder.py`; ../shared/reference/ledger.md section 5).
public enum LedgerBitcoin {
    /// The app's commands (`command_builder.py CLA_BITCOIN`).
    public static let cla: UInt8 = 0xE1
    /// The framework's CONTINUE, which carries answers to client commands (`CLA_FRAMEWORK`,
    /// `FrameworkInsType.CONTINUE_INTERRUPTED`).
    public static let frameworkCLA: UInt8 = 0xF8
    public static let continueINS: UInt8 = 0x01

    /// INS codes (`command_builder.py BitcoinInsType`).
    public enum Instruction: UInt8, Sendable {
        case getExtendedPublicKey = 0x00
        case registerWallet = 0x02
        case getWalletAddress = 0x03
        case signPSBT = 0x04
        case getMasterFingerprint = 0x05
        case signMessage = 0x10
    }

    /// P2 sent by the official ledger-bitcoin client (`CURRENT_PROTOCOL_VERSION = 1`, app >= 2.1.0), as in
    /// ../shared/vectors/ledger/recorded_btc_app_2_4_6.json.
    public static let currentProtocolVersion: UInt8 = 1
    /// P2 sent by ledgerjs hw-app-btc (`newops/appClient.ts`), still accepted by the app.
    public static let legacyProtocolVersion: UInt8 = 0

    /// The deepest BIP-32 path the app takes (`doc/bitcoin.md`: "n (max 8)", MAX_BIP32_PATH_STEPS).
    public static let maximumPathDepth = 8

    /// The app's name in B0 01 ("Bitcoin Test" is the testnet build).
    public static let appName = "Bitcoin"

    /// How status words of the Bitcoin app are reported, unless an operation is told which app is open.
    public static var statusContext: LedgerStatusWord.Context { LedgerStatusWord.Context(app: appName) }
}

/// One E1 command and the client-command loop it may start, shared by the Bitcoin operations: SW E000 means
/// `data[0]` is a client command, answered with `F8 01 00 P2 Lc answer`; 9000 ends the loop with the result; any
/// other status word is the ``LedgerStatusWord`` error (`client_base.py _make_request`, ledgerjs
/// `appClient.ts makeRequest`).
struct LedgerBitcoinInteraction: Sendable {
    let command: APDUCommand
    let protocolVersion: UInt8
    var clientCommands: LedgerBitcoinClientCommands
    var statusContext: LedgerStatusWord.Context = LedgerBitcoin.statusContext

    init(
        _ instruction: LedgerBitcoin.Instruction, data: [UInt8], protocolVersion: UInt8,
        clientCommands: LedgerBitcoinClientCommands = LedgerBitcoinClientCommands()
    ) throws(DeviceError) {
        command = try APDUCommand(cla: LedgerBitcoin.cla, ins: instruction.rawValue, p1: 0, p2: protocolVersion, data: data)
        self.protocolVersion = protocolVersion
        self.clientCommands = clientCommands
    }

    /// The answer to a client command, or the command's result data.
    mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<[UInt8]> {
        guard response.statusWord == LedgerStatusWord.interrupted else {
            return .finished(try response.requireOK(statusContext))
        }
        let answer = try clientCommands.respond(to: response.data)
        return .send(try APDUCommand(
            cla: LedgerBitcoin.frameworkCLA, ins: LedgerBitcoin.continueINS, p1: 0, p2: protocolVersion, data: answer))
    }

    /// `text` as the app sends strings (xpubs, addresses): printable ASCII, not empty.
    static func asciiText(_ bytes: [UInt8], what: String) throws(DeviceError) -> String {
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .protocolError("the Bitcoin app's \(what) is not printable ASCII: \(Hex.encode(bytes))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `path` encoded for the app, which takes at most 8 levels.
    static func encodedPath(_ path: DerivationPath) throws(DeviceError) -> [UInt8] {
        try path.ledgerEncoded(maximumDepth: LedgerBitcoin.maximumPathDepth)
    }
}
