extension TrezorProto.Features {
    /// The vendors trezorlib accepts (FW python/src/trezorlib/models.py `VENDORS`).
    public static let acceptedVendors: Set<String> = ["trezor.io", "bitcointrezor.com"]

    /// The model as WalletBridge names it: "one", "t", "safe3", "safe5", "safe7", from `internal_model` when the
    /// firmware sends it, else from `model` (trezorlib `models.detect`; FW python/src/trezorlib/_modeldata/*.py);
    /// an unknown model in lower case without spaces.
    public var modelIdentifier: String {
        switch internalModel {
        case "T1B1": return "one"
        case "T2T1": return "t"
        case "T2B1", "T3B1": return "safe3"
        case "T3T1": return "safe5"
        case "T3W1": return "safe7"
        default: break
        }
        switch model {
        case "1": return "one"
        case "T": return "t"
        case "Safe 3": return "safe3"
        case "Safe 5": return "safe5"
        case "Safe 7": return "safe7"
        case let other?: return other.lowercased().filter { $0 != " " }
        case nil: return internalModel?.lowercased() ?? "unknown"
        }
    }

    /// The product name: "Trezor One", "Trezor Model T", "Trezor Safe 3", "Trezor Safe 5", "Trezor Safe 7".
    public var productName: String {
        switch modelIdentifier {
        case "one": "Trezor One"
        case "t": "Trezor Model T"
        case "safe3": "Trezor Safe 3"
        case "safe5": "Trezor Safe 5"
        case "safe7": "Trezor Safe 7"
        default: "Trezor \(model ?? internalModel ?? "(unknown model)")"
        }
    }

    /// True for the Trezor One (legacy firmware: PIN matrix, EthereumSignTypedHash, no full EIP-712).
    public var isTrezorOne: Bool { modelIdentifier == "one" }

    /// "major.minor.patch".
    public var firmwareVersion: String { "\(majorVersion).\(minorVersion).\(patchVersion)" }

    /// The model takes the passphrase on its own screen.
    public var canEnterPassphraseOnDevice: Bool { capabilities.contains(.passphraseEntry) }

    /// Refuses Features from something that is not a Trezor, as trezorlib does (client.py, models.py `VENDORS`).
    public func checkVendor() throws(DeviceError) {
        guard let vendor, Self.acceptedVendors.contains(vendor) else {
            throw .protocolError("the device reports vendor \(vendor.map { "\"\($0)\"" } ?? "(none)"), not a Trezor (trezor.io)")
        }
    }
}
