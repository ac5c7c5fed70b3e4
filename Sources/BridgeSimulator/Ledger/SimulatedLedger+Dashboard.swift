import BridgeCore
import BridgeDevices

/// The OS side: the dashboard (no app open) and the SDK's default APDUs inside apps.
extension SimulatedLedger {
    /// A Ledger model, with what its dashboard reports.
    public enum Model: String, Sendable, CaseIterable {
        case nanoS
        case nanoSPlus
        case nanoX
        case stax
        case flex

        /// The product name, as Ledger Live shows it.
        public var displayName: String {
            switch self {
            case .nanoS: "Ledger Nano S"
            case .nanoSPlus: "Ledger Nano S Plus"
            case .nanoX: "Ledger Nano X"
            case .stax: "Ledger Stax"
            case .flex: "Ledger Flex"
            }
        }

        /// The running-device USB product id: model byte MM << 8 | interfaces (generic HID 0x01 + WebUSB 0x10)
        /// (ledger-live libs/ledgerjs/packages/devices/src/index.ts; ../shared/reference/ledger.md section 1.1).
        public var usbProductID: UInt16 {
            let modelByte: UInt16 =
                switch self {
                case .nanoS: 0x10
                case .nanoX: 0x40
                case .nanoSPlus: 0x50
                case .stax: 0x60
                case .flex: 0x70
                }
            return modelByte << 8 | 0x11
        }

        /// The full target id E0 01 reports (ledgerctl ledgerwallet/utils.py `get_device_name`; Nano S 0x31100004).
        var targetID: UInt32 {
            switch self {
            case .nanoS: 0x3110_0004
            case .nanoX: 0x3300_0004
            case .nanoSPlus: 0x3310_0004
            case .stax: 0x3320_0004
            case .flex: 0x3330_0004
            }
        }

        /// An OS version for the simulated dashboard. Illustrative: no vector records one for these models.
        var osVersion: String {
            switch self {
            case .nanoS: "2.1.0"
            case .nanoX: "2.2.3"
            case .nanoSPlus: "1.1.1"
            case .stax: "1.3.0"
            case .flex: "1.1.1"
            }
        }
    }

    /// The SDK's default APDUs (ledger-secure-sdk io/include/os_io_default_apdu.h).
    enum SDKAPDU {
        static let cla: UInt8 = 0xB0
        static let getVersion: UInt8 = 0x01
        static let appExit: UInt8 = 0xA7
    }

    /// Dashboard APDUs: GET OS VERSION and OPEN APP (device-sdk-ts GetOsVersionCommand.ts, OpenAppCommand.ts).
    enum DashboardAPDU {
        static let cla: UInt8 = 0xE0
        static let getOSVersion: UInt8 = 0x01
        static let openApp: UInt8 = 0xD8
        /// Open app: empty name (DMK `OpenAppCommand.ts`).
        static let noAppName: UInt16 = 0x670A
        /// Open app: no such app installed.
        static let unknownApp: UInt16 = 0x6807
    }

    /// The dashboard: B0 01 names BOLOS, E0 01 describes the device, E0 D8 opens an app once the user confirms;
    /// anything else is an app APDU with no app to take it: 6E01 (../shared/reference/ledger.md section 2).
    func respondAsDashboard(to command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        switch (command.cla, command.ins) {
        case (SDKAPDU.cla, SDKAPDU.getVersion):
            // BOLOS omits the flags field (ledger-secure-sdk io/src/os_io_default_apdu.c get_version).
            return APDUResponse(
                data: [0x01] + Self.lengthPrefixed(SimulatedLedger.App.dashboard.name)
                    + Self.lengthPrefixed(configuration.model.osVersion),
                statusWord: LedgerStatusWord.ok)
        case (SDKAPDU.cla, SDKAPDU.appExit):
            // Nothing to close: the dashboard stays.
            return APDUResponse(statusWord: LedgerStatusWord.ok)
        case (DashboardAPDU.cla, DashboardAPDU.getOSVersion):
            return APDUResponse(data: osVersionReply(), statusWord: LedgerStatusWord.ok)
        case (DashboardAPDU.cla, DashboardAPDU.openApp):
            guard !command.data.isEmpty else { throw APDUFailure(DashboardAPDU.noAppName) }
            guard let app = App(name: String(decoding: command.data, as: UTF8.self)) else {
                throw APDUFailure(DashboardAPDU.unknownApp)
            }
            // The OS asks "Open <app>?"; refusing it is 5501, not the apps' 6985.
            try confirm([DeviceScreen(name: "open_app", title: "Open application", lines: [app.name]),
                         DeviceScreen(name: "approve", title: "Open")], state.approval, app: app,
                        refusal: LedgerStatusWord.userRefusedOnDevice)
            state.app = app
            state.pending = .none
            return APDUResponse(statusWord: LedgerStatusWord.ok)
        default:
            throw APDUFailure(LedgerStatusWord.claNotSupportedDashboard)
        }
    }

    /// B0 01 and B0 A7 inside an app.
    func respondAsSDK(to command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        switch command.ins {
        case SDKAPDU.getVersion:
            // format 01 | name | version | flags length 01 | flags 00, as both recordings show.
            return APDUResponse(
                data: [0x01] + Self.lengthPrefixed(state.app.name) + Self.lengthPrefixed(version(of: state.app)) + [0x01, 0x00],
                statusWord: LedgerStatusWord.ok)
        case SDKAPDU.appExit:
            // The app answers, then exits to the dashboard (a real device re-enumerates on USB here).
            state.app = .dashboard
            state.pending = .none
            return APDUResponse(statusWord: LedgerStatusWord.ok)
        default:
            throw APDUFailure(LedgerStatusWord.insNotSupported)
        }
    }

    /// `targetId(4) | LV seVersion | LV seFlags(4) | LV mcuSephVersion | LV mcuBootloaderVersion | [LV hwVersion,
    /// Nano X only] | LV langId | LV recoverState` (device-sdk-ts GetOsVersionCommand.ts;
    /// ../shared/reference/ledger.md section 3). The flags say "PIN validated" (0x80 in ledgerctl's little-endian
    /// reading); the MCU and bootloader versions are illustrative.
    private func osVersionReply() -> [UInt8] {
        let model = configuration.model
        let target = model.targetID
        var reply = [UInt8(target >> 24), UInt8(truncatingIfNeeded: target >> 16), UInt8(truncatingIfNeeded: target >> 8),
                     UInt8(truncatingIfNeeded: target)]
        reply += Self.lengthPrefixed(model.osVersion)
        reply += [0x04, 0x80, 0x00, 0x00, 0x00]
        reply += Self.lengthPrefixed("2.30") + Self.lengthPrefixed("1.16")
        if model == .nanoX { reply += [0x01, 0x00] }
        reply += [0x01, 0x00, 0x01, 0x00]
        return reply
    }

    /// `len(1) | UTF-8 text`.
    static func lengthPrefixed(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(255))
        return [UInt8(bytes.count)] + bytes
    }
}
