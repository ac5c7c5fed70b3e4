import BridgeCrypto

/// Constants and shared decoding of the Ledger Ethereum app's protocol (CLA E0).
///
/// Source: LedgerHQ/app-ethereum `doc/ethapp.adoc` (INS list, status words) and ../shared/reference/ledger.md
/// section 4. Each operation lives in its own `LedgerEthereum*.swift` file.
public enum LedgerEthereum {
    /// The app's name as GET APP AND VERSION reports it.
    public static let appName = "Ethereum"

    /// The context every Ethereum operation uses by default: errors name the Ethereum app.
    public static let context = LedgerStatusWord.Context(app: appName)

    static let cla: UInt8 = 0xE0

    // app-ethereum doc/ethapp.adoc, "Command summary".
    static let insGetPublicAddress: UInt8 = 0x02
    static let insGetConfiguration: UInt8 = 0x06
    static let insSignPersonalMessage: UInt8 = 0x08
    static let insSignEIP712: UInt8 = 0x0C
    static let insEIP712StructDefinition: UInt8 = 0x1A
    static let insEIP712StructImplementation: UInt8 = 0x1C

    /// The APDU body size ledgerjs (hw-app-eth `Eth.ts`) and the DMK cut long data into; the app accepts up to 255, but
    /// keeping ledgerjs's size makes WalletBridge's APDUs identical to the recorded transcripts.
    static let chunkSize = 150

    /// Decodes a signature reply `v(1) | r(32) | s(32)` with v = 27 + parity, as SIGN PERSONAL MESSAGE and SIGN
    /// EIP-712 return it (app-ethereum `src/shared_context.h` `ETHEREUM_SIGNATURE_V_BASE 27`).
    static func signature(from data: [UInt8], _ what: String) throws(DeviceError) -> EthereumSignature {
        guard data.count == 65 else {
            throw .protocolError("\(what) is \(data.count) bytes; expected 65 (v | r | s)")
        }
        let v = data[0]
        guard v == 27 || v == 28 else {
            throw .protocolError("\(what) has v = \(v); expected 27 or 28")
        }
        do {
            return try EthereumSignature(r: Array(data[1..<33]), s: Array(data[33..<65]), v: v)
        } catch {
            throw .protocolError("\(what) is not a valid signature: \(error.message)")
        }
    }

    /// Ensures an intermediate reply (more chunks to come) is a bare 9000.
    static func expectAcknowledgement(_ response: APDUResponse, context: LedgerStatusWord.Context, _ what: String)
        throws(DeviceError)
    {
        try LedgerReplyReader.expectEmpty(try response.requireOK(context), what)
    }
}
