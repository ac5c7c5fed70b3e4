/// The app or firmware that answers.
public struct AppInfo: Sendable, Equatable {
    /// "Ethereum", "Bitcoin", "Bitcoin Test", "BOLOS" (the Ledger dashboard), or a Trezor firmware name.
    public let name: String
    public let version: String
    /// App flags as the device reports them (Ledger B0 01), empty when none.
    public let flags: [UInt8]

    public init(name: String, version: String, flags: [UInt8] = []) {
        self.name = name
        self.version = version
        self.flags = flags
    }
}
