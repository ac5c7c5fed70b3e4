import BridgeCrypto

/// GET_EXTENDED_PUBKEY `E1 00 00 P2 Lc display(1) | n(1, max 8) | n x uint32 BE` -> the Base58Check extended public
/// key as ASCII text (`xpub...` on the Bitcoin app, `tpub...` on "Bitcoin Test"): app-bitcoin-new `doc/bitcoin.md`,
/// ledgerjs `appClient.ts getExtendedPubkey` (`toString("ascii")`), ../shared/reference/ledger.md 5.2.
///
/// Standard paths (BIP-44/48/49/84/86 accounts) work without display; others answer 6A82 (``DeviceError/notSupported``)
/// unless `display` asks the user to confirm.
public struct LedgerBitcoinGetExtendedPublicKey: APDUOperation {
    public let path: DerivationPath
    public let display: Bool
    private var interaction: LedgerBitcoinInteraction

    public init(path: DerivationPath, display: Bool = false, protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion)
        throws(DeviceError)
    {
        self.path = path
        self.display = display
        interaction = try LedgerBitcoinInteraction(
            .getExtendedPublicKey, data: [display ? 1 : 0] + LedgerBitcoinInteraction.encodedPath(path),
            protocolVersion: protocolVersion)
    }

    /// How status words are reported (set `openApp` when B0 01 told it).
    public var statusContext: LedgerStatusWord.Context {
        get { interaction.statusContext }
        set { interaction.statusContext = newValue }
    }

    public func start() throws(DeviceError) -> APDUCommand { interaction.command }

    /// Finishes with the xpub text, checked to be a well-formed BIP-32 extended public key.
    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<String> {
        switch try interaction.handle(response) {
        case .send(let next):
            return .send(next)
        case .finished(let data):
            let xpub = try LedgerBitcoinInteraction.asciiText(data, what: "extended public key")
            do throws(CryptoError) {
                let key = try ExtendedKey(parsing: xpub)
                guard key.privateKey == nil else { throw CryptoError.invalidExtendedKey("it holds a private key") }
            } catch {
                throw .protocolError("the Bitcoin app's extended public key is invalid: \(error.message)")
            }
            return .finished(xpub)
        }
    }
}
