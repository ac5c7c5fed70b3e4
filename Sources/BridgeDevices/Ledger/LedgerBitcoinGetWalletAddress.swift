import BridgeCrypto

/// GET_WALLET_ADDRESS `E1 03 00 P2 Lc display(1) | walletId(32) | hmac(32) | change(1) | index(4 BE)` -> the
/// address as ASCII text. The device then asks for the policy by its id, its descriptor template (v2) and its keys
/// through client commands (app-bitcoin-new `doc/bitcoin.md`; `bitcoin_client/ledger_bitcoin/client.py
/// get_wallet_address`; ledgerjs `appClient.ts getWalletAddress`; ../shared/reference/ledger.md 5.4).
public struct LedgerBitcoinGetWalletAddress: APDUOperation {
    public let policy: WalletPolicy
    public let change: Bool
    public let index: UInt32
    public let display: Bool
    private var interaction: LedgerBitcoinInteraction

    /// - Parameters:
    ///   - hmac: the registration HMAC of `policy`; nil (32 zero bytes) for the default single-signature policies.
    ///   - change: the `/1/*` (change) branch instead of `/0/*` (receive).
    ///   - index: the address index, below 2^31 (the last level is never hardened).
    ///   - display: show the address on the device and wait for the user.
    public init(
        policy: WalletPolicy, hmac: [UInt8]? = nil, change: Bool, index: UInt32, display: Bool = false,
        protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion
    ) throws(DeviceError) {
        let hmac = hmac ?? WalletPolicy.defaultHMAC
        guard hmac.count == 32 else { throw .badArgument("A wallet policy HMAC is 32 bytes, got \(hmac.count)") }
        guard index < DerivationPath.hardenedOffset else {
            throw .badArgument("The address index \(index) is hardened; addresses use indexes below 2^31")
        }
        self.policy = policy
        self.change = change
        self.index = index
        self.display = display
        // The same registrations as ledger-bitcoin's client.py: keys as a Merkle list, the serialized policy, and the
        // descriptor template (which policy v2 only commits to by hash).
        var clientCommands = LedgerBitcoinClientCommands()
        clientCommands.addKnownList(policy.keys.map { Array($0.utf8) })
        clientCommands.addKnownPreimage(policy.serialized)
        clientCommands.addKnownPreimage(Array(policy.descriptorTemplate.utf8))
        let indexBytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: index >> $0) }
        interaction = try LedgerBitcoinInteraction(
            .getWalletAddress, data: [display ? 1 : 0] + policy.id + hmac + [change ? 1 : 0] + indexBytes,
            protocolVersion: protocolVersion, clientCommands: clientCommands)
    }

    /// How status words are reported (set `openApp` when B0 01 told it).
    public var statusContext: LedgerStatusWord.Context {
        get { interaction.statusContext }
        set { interaction.statusContext = newValue }
    }

    public func start() throws(DeviceError) -> APDUCommand { interaction.command }

    /// Finishes with the address text as the device computed it.
    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<String> {
        switch try interaction.handle(response) {
        case .send(let next): .send(next)
        case .finished(let data): .finished(try LedgerBitcoinInteraction.asciiText(data, what: "address"))
        }
    }
}
