import BridgeCore
import BridgeCrypto
import Synchronization

/// A Trezor behind the shared ``HardwareWallet`` interface, over protocol v1 (Trezor One, Model T, Safe 3, Safe 5).
///
/// Operations run one at a time through ``DeviceSession`` (a second caller gets -4 busy). Each operation that needs
/// the wallet first activates the session as trezorlib does (``TrezorSession``): `Initialize` and the root-fingerprint
/// derivation the first time (PIN and passphrase are asked there), `Initialize(session_id)` after that. Features,
/// app info, capabilities and Ping need no session and never prompt.
public final class TrezorDevice: HardwareWallet {
    /// The packet link's protocol-v1 channel, for callers that drive messages themselves.
    public let channel: TrezorV1Channel
    public let credentials: TrezorCredentials
    private let operations: DeviceSession
    private let state: Mutex<State>

    struct State: Sendable {
        var descriptor: DeviceDescriptor
        var session = TrezorSession()
    }

    /// `link` moves 64-byte packets (WebUSB, HID, UDP emulator, in-process simulator); `execution` is where the
    /// blocking exchanges run (``DeviceSession/Execution``).
    public init(link: any DeviceLink, descriptor: DeviceDescriptor, credentials: TrezorCredentials = TrezorCredentials(),
                execution: DeviceSession.Execution = .dispatchQueue) {
        channel = TrezorV1Channel(link: link)
        self.credentials = credentials
        operations = DeviceSession(label: descriptor.id, execution: execution)
        state = Mutex(State(descriptor: descriptor))
    }

    /// The descriptor, with `model` refined from Features once the device has answered ("one", "t", "safe3",
    /// "safe5", "safe7").
    public var descriptor: DeviceDescriptor { state.withLock { $0.descriptor } }

    /// The session's master key fingerprint, once a session was opened.
    public var masterFingerprint: UInt32? { state.withLock { $0.session.rootFingerprint } }

    // MARK: Without a session

    /// Features through GetFeatures: changes no session and never prompts.
    public func features(_ options: OperationOptions) async throws(DeviceError) -> TrezorProto.Features {
        try await perform(options) { operation throws(DeviceError) in try operation.refreshFeatures() }
    }

    /// Ping(button_protection=false): the device echoes `text` in Success.
    public func ping(_ text: String, _ options: OperationOptions) async throws(DeviceError) -> String {
        try await perform(options) { operation throws(DeviceError) in
            let reply = try operation.call(TrezorProto.Ping(message: text, buttonProtection: false), expecting: TrezorProto.Success.self)
            guard reply.message ?? "" == text else {
                throw .protocolError("Ping \"\(text)\" was answered with \"\(reply.message ?? "")\"")
            }
            return reply.message ?? ""
        }
    }

    public func appInfo(_ options: OperationOptions) async throws(DeviceError) -> AppInfo {
        let features = try await features(options)
        return AppInfo(name: features.productName, version: features.firmwareVersion)
    }

    public func capabilities(_ options: OperationOptions) async throws(DeviceError) -> DeviceCapabilities {
        let features = try await features(options)
        var coins: Set<Coin> = []
        if features.capabilities.contains(.ethereum) { coins.insert(.eth) }
        if features.capabilities.contains(.bitcoin) { coins.insert(.btc) }
        // Full EIP-712 exists on core firmware only; EthereumSignTypedHash on the Trezor One only
        // (FW core/src/apps/workflow_handlers.py, legacy/firmware/fsm_msg_ethereum.h; trezor.md section 3).
        return DeviceCapabilities(coins: coins, fullTypedData: !features.isTrezorOne, hashedTypedData: features.isTrezorOne)
    }

    // MARK: Within a session

    public func address(_ request: AddressRequest, _ options: OperationOptions) async throws(DeviceError) -> AddressResult {
        try await perform(options) { operation throws(DeviceError) in
            var operation = operation
            try operation.openSession()
            switch request.coin {
            case .eth: return try operation.ethereumAddress(request)
            case .btc: return try operation.bitcoinAddress(request)
            }
        }
    }

    public func signMessage(_ request: MessageSigningRequest, _ options: OperationOptions)
        async throws(DeviceError) -> MessageSignatureResult
    {
        try await perform(options) { operation throws(DeviceError) in
            var operation = operation
            try operation.openSession()
            switch request.coin {
            case .eth: return try operation.ethereumSignMessage(request)
            case .btc: return try operation.bitcoinSignMessage(request)
            }
        }
    }

    /// One call in the device's session (opened or resumed first): `request` in, `Response` out, with buttons, PIN and
    /// passphrase handled. For messages the ``HardwareWallet`` interface does not cover (e.g. VerifyMessage).
    public func call<Response: TrezorMessage>(_ request: some TrezorMessage, expecting: Response.Type, _ options: OperationOptions)
        async throws(DeviceError) -> Response
    {
        try await perform(options) { operation throws(DeviceError) in
            var operation = operation
            try operation.openSession()
            return try operation.call(request, expecting: Response.self)
        }
    }

    /// EndSession: the device forgets the session's passphrase; the next operation opens a new session.
    public func endSession(_ options: OperationOptions) async throws(DeviceError) {
        try await perform(options) { operation throws(DeviceError) in
            _ = try operation.call(TrezorProto.EndSession(), expecting: TrezorProto.Success.self)
            operation.device.state.withLock { $0.session.reset() }
        }
    }

    // MARK: Running operations

    /// Runs `body` as this device's one operation.
    func perform<Output: Sendable>(_ options: OperationOptions, _ body: @escaping @Sendable (Operation) throws(DeviceError) -> Output)
        async throws(DeviceError) -> Output
    {
        try await operations.perform(timeout: options.timeout) { deadline, isCancelled throws(DeviceError) in
            let context = TrezorCallContext(deadline: deadline, timeout: options.timeout, isCancelled: isCancelled,
                                            progress: options.progress, credentials: self.credentials)
            return try body(Operation(device: self, context: context))
        }
    }

    /// What one operation needs while it runs on the session's queue.
    struct Operation {
        let device: TrezorDevice
        var context: TrezorCallContext

        /// Opens or resumes the session; afterwards calls answer passphrase requests as the model allows.
        @discardableResult
        mutating func openSession() throws(DeviceError) -> TrezorProto.Features {
            let context = self.context
            let channel = device.channel
            let features = try device.withSession { session throws(DeviceError) in try session.activate(on: channel, context) }
            device.noteModel(of: features)
            self.context.passphraseEntryOnDevice = features.canEnterPassphraseOnDevice
            return features
        }

        func refreshFeatures() throws(DeviceError) -> TrezorProto.Features {
            let context = self.context
            let channel = device.channel
            let features = try device.withSession { session throws(DeviceError) in try session.refreshFeatures(on: channel, context) }
            device.noteModel(of: features)
            return features
        }

        func call<Response: TrezorMessage>(_ request: some TrezorMessage, expecting: Response.Type) throws(DeviceError) -> Response {
            try device.channel.call(request, expecting: Response.self, context)
        }

        func call(_ request: TrezorWireMessage) throws(DeviceError) -> TrezorWireMessage {
            try device.channel.call(request, context)
        }

        var rootFingerprint: UInt32? { device.masterFingerprint }
    }

    /// Runs `body` on a copy of the session state and stores it back, also when `body` fails part way (a session id
    /// already received stays known). Only the operation holding ``DeviceSession`` calls this.
    private func withSession<T>(_ body: (inout TrezorSession) throws(DeviceError) -> T) throws(DeviceError) -> T {
        var session = state.withLock { $0.session }
        defer { state.withLock { [session] in $0.session = session } }
        return try body(&session)
    }

    private func noteModel(of features: TrezorProto.Features) {
        state.withLock { state in
            let current = state.descriptor
            let model = features.modelIdentifier
            guard current.model != model else { return }
            state.descriptor = DeviceDescriptor(id: current.id, family: current.family, model: model,
                                                transport: current.transport, path: current.path)
        }
    }
}
