/// GET_MASTER_FINGERPRINT `E1 05 00 P2 00` -> the 4-byte fingerprint of the master key, read big-endian as BIP-32
/// key origins write it (`f5acc2fd` for the Speculos seed). No user interaction (app-bitcoin-new `doc/bitcoin.md`).
public struct LedgerBitcoinGetMasterFingerprint: APDUOperation {
    private var interaction: LedgerBitcoinInteraction

    /// - Parameter protocolVersion: P2 (``LedgerBitcoin/currentProtocolVersion`` or ``LedgerBitcoin/legacyProtocolVersion``).
    public init(protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion) throws(DeviceError) {
        interaction = try LedgerBitcoinInteraction(.getMasterFingerprint, data: [], protocolVersion: protocolVersion)
    }

    /// How status words are reported (set `openApp` when B0 01 told it).
    public var statusContext: LedgerStatusWord.Context {
        get { interaction.statusContext }
        set { interaction.statusContext = newValue }
    }

    public func start() throws(DeviceError) -> APDUCommand { interaction.command }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<UInt32> {
        switch try interaction.handle(response) {
        case .send(let next):
            return .send(next)
        case .finished(let data):
            guard data.count == 4 else {
                throw .protocolError("the Bitcoin app's master fingerprint is \(data.count) bytes, not 4")
            }
            return .finished(data.reduce(0) { $0 << 8 | UInt32($1) })
        }
    }
}
