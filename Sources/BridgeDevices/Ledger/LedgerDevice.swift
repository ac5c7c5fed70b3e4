import BridgeCore
import BridgeCrypto
import Glibc
import Synchronization

/// A Ledger behind the shared ``HardwareWallet`` interface: every call opens the app it needs (the user confirms on
/// the device), then runs the app's operations over the channel, one operation at a time.
public final class LedgerDevice: HardwareWallet {
    public let descriptor: DeviceDescriptor
    private let channel: Mutex<any APDUChannel>
    private let session: DeviceSession
    /// Opens a fresh channel after the device re-enumerates (opening or quitting an app restarts its USB stack);
    /// nil for links that survive it (TCP to Speculos, the in-process simulator).
    private let reopen: (@Sendable () throws(DeviceError) -> any APDUChannel)?

    /// Ethereum app versions from which full EIP-712 (struct definitions and implementations) exists
    /// (app-ethereum doc/ethapp.adoc, "EIP712 SEND STRUCT DEFINITION", since 1.9.19; ../shared/reference/ledger.md 4.6).
    static let fullTypedDataSince = [1, 9, 19]

    /// `execution`: where the blocking exchanges run (``DeviceSession/Execution``).
    public init(channel: any APDUChannel, descriptor: DeviceDescriptor,
                reopen: (@Sendable () throws(DeviceError) -> any APDUChannel)? = nil,
                execution: DeviceSession.Execution = .dispatchQueue) {
        self.channel = Mutex(channel)
        self.descriptor = descriptor
        self.session = DeviceSession(label: descriptor.id, execution: execution)
        self.reopen = reopen
    }

    // MARK: HardwareWallet

    public func appInfo(_ options: OperationOptions) async throws(DeviceError) -> AppInfo {
        try await perform(options) { context throws(DeviceError) in try context.run(LedgerGetAppAndVersion()) }
    }

    public func capabilities(_ options: OperationOptions) async throws(DeviceError) -> DeviceCapabilities {
        try await perform(options) { context throws(DeviceError) in
            let app = try context.run(LedgerGetAppAndVersion())
            switch app.name {
            case "Ethereum":
                let configuration = try context.run(LedgerEthereumGetConfiguration())
                return DeviceCapabilities(coins: [.eth], fullTypedData: Self.supportsFullTypedData(app.version),
                                          hashedTypedData: true, blindSigningEnabled: configuration.blindSigningEnabled)
            case "Bitcoin", "Bitcoin Test":
                return DeviceCapabilities(coins: [.btc], fullTypedData: false, hashedTypedData: false)
            default:
                // The dashboard: the device can open either app on request.
                return DeviceCapabilities(coins: [.eth, .btc], fullTypedData: true, hashedTypedData: true)
            }
        }
    }

    public func address(_ request: AddressRequest, _ options: OperationOptions) async throws(DeviceError) -> AddressResult {
        try await perform(options) { context throws(DeviceError) in
            switch request.coin {
            case .eth:
                try context.ensureApp(.ethereum)
                if request.display { options.progress("Compare the address, then confirm on your Ledger...") }
                let result = try context.run(LedgerEthereumGetAddress(path: request.path, display: request.display,
                                                                      returnChainCode: false, chainID: nil))
                return AddressResult(address: result.address.checksummed, path: request.path, publicKey: result.publicKey,
                                     chainCode: result.chainCode)
            case .btc:
                let bitcoinProtocol = try Self.bitcoinProtocol(of: try context.ensureApp(.bitcoin))
                if request.display { options.progress("Compare the address, then confirm on your Ledger...") }
                let result = try context.run(LedgerBitcoinGetDefaultWalletAddress(
                    path: request.path, script: request.effectiveScript, display: request.display,
                    protocolVersion: bitcoinProtocol))
                // The device computed the address from its own keys; the host derives it again from the account key the
                // device gave, so a device that shows one address and signs for another is caught here.
                let expected = BitcoinAddress.address(for: result.publicKey, script: request.effectiveScript, network: request.network)
                if request.network == .main, result.address != expected {
                    throw .protocolError("the device showed \(result.address) but its account key derives \(expected)")
                }
                return AddressResult(address: expected, path: request.path, publicKey: result.publicKey)
            }
        }
    }

    public func extendedPublicKey(path: DerivationPath, network: BitcoinNetwork, _ options: OperationOptions)
        async throws(DeviceError) -> ExtendedPublicKeyResult
    {
        // Like HWI, extended keys come from the Bitcoin app: the Ethereum app cannot give the master fingerprint.
        try await perform(options) { context throws(DeviceError) in
            let app = try context.ensureApp(.bitcoin)
            let bitcoinProtocol = try Self.bitcoinProtocol(of: app)
            let fingerprint = try context.run(try LedgerBitcoinGetMasterFingerprint(protocolVersion: bitcoinProtocol))
            let text = try context.run(try LedgerBitcoinGetExtendedPublicKey(path: path, protocolVersion: bitcoinProtocol))
            let key: ExtendedKey
            do {
                key = try ExtendedKey(parsing: text)
            } catch {
                throw .protocolError("the \(app.name) app returned an unreadable extended key: \(error.asBridgeError.message)")
            }
            return ExtendedPublicKeyResult(xpub: key.xpub(network: network), publicKey: key.publicKey,
                                           chainCode: key.chainCode, masterFingerprint: fingerprint)
        }
    }

    public func signMessage(_ request: MessageSigningRequest, _ options: OperationOptions)
        async throws(DeviceError) -> MessageSignatureResult
    {
        try await perform(options) { context throws(DeviceError) in
            switch request.coin {
            case .eth:
                try context.ensureApp(.ethereum)
                options.progress("Confirm on your Ledger...")
                let signature = try context.run(LedgerEthereumSignPersonalMessage(path: request.path, message: request.message))
                let signer = try Self.recoverSigner(signature, digest: PersonalMessage.hash(request.message))
                return .ethereum(signature: signature, address: signer)
            case .btc:
                let bitcoinProtocol = try Self.bitcoinProtocol(of: try context.ensureApp(.bitcoin))
                options.progress("Confirm on your Ledger...")
                let signature = try context.run(try LedgerBitcoinSignMessage(path: request.path, message: request.message,
                                                                            protocolVersion: bitcoinProtocol)).bytes
                let recovered: PublicKey
                do {
                    recovered = try BitcoinMessage.recoverPublicKey(signature: signature, message: request.message).publicKey
                } catch {
                    throw .protocolError("the device's message signature does not recover: \(error.asBridgeError.message)")
                }
                let address = BitcoinAddress.address(for: recovered, script: request.effectiveScript, network: request.network)
                return .bitcoin(signature: signature, address: address)
            }
        }
    }

    public func signTypedData(path: DerivationPath, typedData: TypedData, mode: TypedDataSigningMode, _ options: OperationOptions)
        async throws(DeviceError) -> TypedDataSignatureResult
    {
        let hashes = try typedData.deviceHashes()
        return try await perform(options) { context throws(DeviceError) in
            let app = try context.ensureApp(.ethereum)
            let signature: EthereumSignature
            switch mode {
            case .full:
                guard Self.supportsFullTypedData(app.version) else {
                    throw .notSupported("full EIP-712 needs Ethereum app 1.9.19 or later (this is \(app.version)); update it or use --mode hashed")
                }
                options.progress("Review each field, then confirm on your Ledger...")
                signature = try context.run(LedgerEthereumSignTypedDataFull(path: path, typedData: typedData))
            case .hashed:
                guard let messageHash = hashes.messageHash else {
                    throw .notSupported("hashed EIP-712 on a Ledger needs a message; this typed data signs only its domain")
                }
                options.progress("Compare the hashes, then confirm on your Ledger...")
                signature = try context.run(LedgerEthereumSignTypedDataHashed(path: path, domainHash: hashes.domainHash,
                                                                             messageHash: messageHash))
            }
            let signer = try Self.recoverSigner(signature, digest: hashes.digest)
            return TypedDataSignatureResult(signature: signature, address: signer, domainHash: hashes.domainHash,
                                            messageHash: hashes.messageHash, digest: hashes.digest)
        }
    }

    // MARK: Running operations

    /// Runs `body` as this device's one operation, with the channel, deadline and cancellation bundled.
    private func perform<Output: Sendable>(
        _ options: OperationOptions, _ body: @escaping @Sendable (OperationContext) throws(DeviceError) -> Output
    ) async throws(DeviceError) -> Output {
        try await session.perform(timeout: options.timeout) { deadline, isCancelled throws(DeviceError) in
            try body(OperationContext(device: self, deadline: deadline, isCancelled: isCancelled, options: options))
        }
    }

    /// What one operation needs while it runs on the session's queue.
    struct OperationContext {
        let device: LedgerDevice
        let deadline: ContinuousClock.Instant
        let isCancelled: @Sendable () -> Bool
        let options: OperationOptions

        func run<Operation: APDUOperation>(_ operation: Operation) throws(DeviceError) -> Operation.Output {
            let channel = device.channel.withLock { $0 }
            return try channel.run(operation, deadline: deadline, isCancelled: isCancelled)
        }

        /// Makes sure `app` is open: asks the dashboard to open it (the user confirms), or quits another app first.
        @discardableResult
        func ensureApp(_ app: LedgerApp) throws(DeviceError) -> AppInfo {
            var current = try run(LedgerGetAppAndVersion())
            if app.names.contains(current.name) { return current }
            if current.name != LedgerApp.dashboardName {
                options.progress("Closing the \(current.name) app on your Ledger...")
                try run(LedgerQuitApp())
                try device.reconnect(deadline: deadline)
            }
            options.progress("Open the \(app.names[0]) app: confirm on your Ledger...")
            do {
                try run(LedgerOpenApp(name: app.names[0]))
            } catch {
                if error == .rejectedOnDevice {
                    throw .wrongApp(expected: app.names[0], open: nil)
                }
                throw error
            }
            try device.reconnect(deadline: deadline)
            current = try run(LedgerGetAppAndVersion())
            guard app.names.contains(current.name) else { throw .wrongApp(expected: app.names[0], open: current.name) }
            return current
        }
    }

    /// After an app opens or quits the device's USB stack restarts; give the link back once it answers again.
    private func reconnect(deadline: ContinuousClock.Instant) throws(DeviceError) {
        guard let reopen else { return }
        var lastError = DeviceError.disconnected("the device did not come back after switching apps")
        while ContinuousClock.now < deadline {
            do {
                let fresh = try reopen()
                channel.withLock { $0 = fresh }
                return
            } catch {
                lastError = error
                var pause = timespec(tv_sec: 0, tv_nsec: 200_000_000)
                nanosleep(&pause, nil)
            }
        }
        throw lastError
    }

    // MARK: Helpers

    static func supportsFullTypedData(_ version: String) -> Bool {
        !versionNumbers(version).lexicographicallyPrecedes(fullTypedDataSince)
    }

    /// The app-bitcoin-new protocol version to send as P2: 1 from app 2.1.0 on (what the official Python client
    /// sends), 0 before (ledger-bitcoin `client.py`); the legacy 1.x app speaks another protocol entirely.
    static func bitcoinProtocol(of app: AppInfo) throws(DeviceError) -> UInt8 {
        let version = versionNumbers(app.version)
        guard !version.lexicographicallyPrecedes([2]) else {
            throw .notSupported("the Bitcoin app \(app.version) speaks the legacy protocol; update it to 2.1 or later")
        }
        return version.lexicographicallyPrecedes([2, 1]) ? LedgerBitcoin.legacyProtocolVersion : LedgerBitcoin.currentProtocolVersion
    }

    /// "2.4.6" -> [2, 4, 6]; "2.1.5-alpha" -> [2, 1, 5].
    static func versionNumbers(_ version: String) -> [Int] {
        version.split(separator: "-").first?.split(separator: ".").compactMap { Int($0) } ?? []
    }

    static func recoverSigner(_ signature: EthereumSignature, digest: [UInt8]) throws(DeviceError) -> EthereumAddress {
        do {
            return try signature.recoverSigner(digest: digest)
        } catch {
            throw .protocolError("the device's signature does not recover to a key: \(error.asBridgeError.message)")
        }
    }
}

/// The Ledger apps WalletBridge uses, by the names B0 01 reports.
public enum LedgerApp: Sendable {
    case ethereum, bitcoin

    /// Acceptable names; the first is what E0 D8 opens.
    var names: [String] {
        switch self {
        case .ethereum: ["Ethereum"]
        case .bitcoin: ["Bitcoin", "Bitcoin Test"]
        }
    }

    static let dashboardName = "BOLOS"
}
