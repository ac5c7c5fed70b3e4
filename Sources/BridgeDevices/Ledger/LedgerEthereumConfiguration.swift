/// What GET APP CONFIGURATION reports: the app's flags and version.
///
/// Flags (app-ethereum `doc/ethapp.adoc`; `src/features/get_app_configuration/cmd_get_app_configuration.c`): 0x01 blind
/// signing ("arbitrary data") enabled, 0x02 ERC-20 info provided externally, 0x10 transaction check enabled, 0x20
/// transaction check opt-in done. The "Raw messages" setting that full EIP-712 can use is not reported.
public struct LedgerEthereumConfiguration: Sendable, Equatable {
    public let flags: UInt8
    public let major: UInt8
    public let minor: UInt8
    public let patch: UInt8

    public init(flags: UInt8, major: UInt8, minor: UInt8, patch: UInt8) {
        self.flags = flags
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// "major.minor.patch", e.g. "1.22.0".
    public var version: String { "\(major).\(minor).\(patch)" }

    /// The "Blind signing" setting is on: hashed EIP-712 is allowed (and full EIP-712 without "Raw messages").
    public var blindSigningEnabled: Bool { flags & 0x01 != 0 }

    /// True when the app's version is at least `major.minor.patch`.
    public func isAtLeast(_ major: UInt8, _ minor: UInt8, _ patch: UInt8) -> Bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// Hashed EIP-712 (`E0 0C 00 00`) exists since app 1.5.0 (ethapp.adoc).
    public var supportsHashedTypedData: Bool { isAtLeast(1, 5, 0) }

    /// Full EIP-712 (`E0 1A` / `E0 1C`, then `E0 0C 00 01`) exists since app 1.9.19 (ethapp.adoc).
    public var supportsFullTypedData: Bool { isAtLeast(1, 9, 19) }
}

/// GET APP CONFIGURATION (`E0 06 00 00 00`) -> `flags | major | minor | patch`.
public struct LedgerEthereumGetConfiguration: APDUOperation {
    public typealias Output = LedgerEthereumConfiguration

    public var context: LedgerStatusWord.Context

    public init(context: LedgerStatusWord.Context = LedgerEthereum.context) {
        self.context = context
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        try APDUCommand(cla: LedgerEthereum.cla, ins: LedgerEthereum.insGetConfiguration)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<LedgerEthereumConfiguration> {
        let data = try response.requireOK(context)
        guard data.count == 4 else {
            throw .protocolError("GET APP CONFIGURATION reply is \(data.count) bytes; expected 4 (flags, major, minor, patch)")
        }
        return .finished(LedgerEthereumConfiguration(flags: data[0], major: data[1], minor: data[2], patch: data[3]))
    }
}
