/// What one call needs besides its request: when to give up, how to tell the user, how to answer PIN and passphrase
/// requests.
public struct TrezorCallContext: Sendable {
    public var deadline: ContinuousClock.Instant
    /// The whole operation's limit, for the timeout error.
    public var timeout: Duration
    public var isCancelled: @Sendable () -> Bool
    /// Lines such as "Confirm on your Trezor..." (the CLI prints them on stderr).
    public var progress: @Sendable (String) -> Void
    public var credentials: TrezorCredentials
    /// The model takes the passphrase on its own screen (Features capability PassphraseEntry).
    public var passphraseEntryOnDevice: Bool

    public init(deadline: ContinuousClock.Instant, timeout: Duration, isCancelled: @escaping @Sendable () -> Bool = { false },
                progress: @escaping @Sendable (String) -> Void = { _ in }, credentials: TrezorCredentials = TrezorCredentials(),
                passphraseEntryOnDevice: Bool = false) {
        self.deadline = deadline
        self.timeout = timeout
        self.isCancelled = isCancelled
        self.progress = progress
        self.credentials = credentials
        self.passphraseEntryOnDevice = passphraseEntryOnDevice
    }

    /// A context whose deadline is `timeout` from now.
    public init(timeout: Duration, isCancelled: @escaping @Sendable () -> Bool = { false },
                progress: @escaping @Sendable (String) -> Void = { _ in }, credentials: TrezorCredentials = TrezorCredentials(),
                passphraseEntryOnDevice: Bool = false) {
        self.init(deadline: ContinuousClock.now.advanced(by: timeout), timeout: timeout, isCancelled: isCancelled,
                  progress: progress, credentials: credentials, passphraseEntryOnDevice: passphraseEntryOnDevice)
    }
}

/// The call loop of trezorlib's `TrezorClient._call`, without I/O: given each message from the device, what the
/// host does next (FW python/src/trezorlib/client.py; ../shared/reference/trezor.md section 4, "Call loop").
///
/// - ButtonRequest: answer ButtonAck (the device waits for it before it even shows the screen).
/// - PinMatrixRequest: answer PinMatrixAck with the positions from ``TrezorCredentials/pinPositions``; none, or
///   positions that are not 1-9 (at most 50): send Cancel and fail.
/// - PassphraseRequest: PassphraseAck from the host, on the device when the model can, else "" (standard wallet).
/// - Failure: the mapped ``DeviceError``.
/// - Anything else is the call's result; the caller checks its type.
public struct TrezorCallFlow: Sendable {
    public enum Step: Sendable, Equatable {
        /// Send this message, after showing `progress` when set, and read the next one.
        case send(TrezorWireMessage, progress: String?)
        /// The call's answer.
        case finished(TrezorWireMessage)
        /// The call failed; when `sendCancel` is set the device is still waiting and gets a Cancel first.
        case failed(DeviceError, sendCancel: Bool)
    }

    /// The proto name of the request, for errors ("this Trezor does not support EthereumSignTypedData"). Named only
    /// when an error needs it: the name comes from reflection, which costs a command more than its exchange.
    public var requestName: String { TrezorMessageType.name(of: requestType) }
    private let requestType: UInt16
    public let credentials: TrezorCredentials
    public let passphraseEntryOnDevice: Bool
    private var announcedConfirmation = false

    public init(request: TrezorWireMessage, credentials: TrezorCredentials, passphraseEntryOnDevice: Bool) {
        requestType = request.type
        self.credentials = credentials
        self.passphraseEntryOnDevice = passphraseEntryOnDevice
    }

    public mutating func next(after reply: TrezorWireMessage) -> Step {
        do {
            return try step(after: reply)
        } catch {
            return .failed(error, sendCancel: false)
        }
    }

    private mutating func step(after reply: TrezorWireMessage) throws(DeviceError) -> Step {
        switch reply.messageType {
        case .buttonRequest:
            let request = try reply.decode(TrezorProto.ButtonRequest.self)
            return .send(TrezorWireMessage(TrezorProto.ButtonAck()), progress: progressLine(for: request))

        case .pinMatrixRequest:
            let request = try reply.decode(TrezorProto.PinMatrixRequest.self)
            guard let provider = credentials.pinPositions, let positions = provider(request.type) else {
                return .failed(.trezorPINMissing, sendCancel: true)
            }
            guard TrezorCredentials.isValidPINPositions(positions) else {
                return .failed(.badArgument(
                    "The PIN must be given as matrix positions: the digits 1-9 (7 8 9 / 4 5 6 / 1 2 3 as the device's grid is laid out), at most \(TrezorCredentials.maximumPINLength)"),
                    sendCancel: true)
            }
            return .send(TrezorWireMessage(TrezorProto.PinMatrixAck(pin: positions)), progress: nil)

        case .passphraseRequest:
            _ = try reply.decode(TrezorProto.PassphraseRequest.self)
            if let passphrase = credentials.passphraseOnHost {
                let normalized = try TrezorCredentials.normalizedPassphrase(passphrase)
                guard normalized.count <= TrezorCredentials.maximumPassphraseLength else {
                    return .failed(.badArgument("The passphrase is longer than the \(TrezorCredentials.maximumPassphraseLength) characters a Trezor takes"),
                                   sendCancel: true)
                }
                return .send(TrezorWireMessage(TrezorProto.PassphraseAck(passphrase: normalized)), progress: nil)
            }
            if passphraseEntryOnDevice {
                return .send(TrezorWireMessage(TrezorProto.PassphraseAck(onDevice: true)),
                             progress: "Enter the passphrase on your Trezor...")
            }
            // No way to type it on the device and none given: the standard wallet, as trezorlib's default.
            return .send(TrezorWireMessage(TrezorProto.PassphraseAck(passphrase: "")), progress: nil)

        case .failure:
            return .failed(try reply.decode(TrezorProto.Failure.self).deviceError(request: requestName), sendCancel: false)

        default:
            return .finished(reply)
        }
    }

    /// One line per kind of prompt: the first confirmation of a call, and each PIN or passphrase entry on the device.
    private mutating func progressLine(for request: TrezorProto.ButtonRequest) -> String? {
        switch request.code {
        case .pinEntry: return "Enter your PIN on your Trezor..."
        case .passphraseEntry: return "Enter the passphrase on your Trezor..."
        default:
            guard !announcedConfirmation else { return nil }
            announcedConfirmation = true
            return "Confirm on your Trezor..."
        }
    }
}
