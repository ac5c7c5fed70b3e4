/// Which device, how it is reached.
public struct DeviceDescriptor: Sendable, Equatable {
    public enum Family: String, Sendable { case ledger, trezor }

    /// Stable for as long as the device stays plugged in (`enumerate` prints it; `--device` takes it).
    public let id: String
    public let family: Family
    /// e.g. "nanox", "nanosp", "stax", "flex", "one", "safe5".
    public let model: String
    /// "hid", "webusb", "tcp", "udp" or "sim".
    public let transport: String
    /// The OS path or address (e.g. /dev/hidraw3, 127.0.0.1:9999).
    public let path: String

    public init(id: String, family: Family, model: String, transport: String, path: String) {
        self.id = id
        self.family = family
        self.model = model
        self.transport = transport
        self.path = path
    }
}
