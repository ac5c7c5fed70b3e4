import BridgeCore
import BridgeDevices

extension Command {
    /// `walletbridge enumerate`: the devices the transport reaches, each with its state.
    static let enumerate = Command(
        name: "enumerate",
        abstract: "List the connected hardware wallets with their state and open app.",
        discussion: """
            Prints a JSON array, one entry per device: {"id", "type": "ledger"|"trezor", "model", "transport", \
            "path", "state", "app": {"name", "version"}?, "error"?, "code"?}. state is ready (an app is open), \
            app-closed (the Ledger dashboard), locked, busy or error; a device that fails is reported in its own \
            entry with the error and its code, and the command still succeeds. Pass an id to --device to choose \
            a device when several are connected. Without --transport, hidraw devices are listed (Ledger; Trezor One \
            on legacy HID firmware, which other commands do not support yet).

            Examples:
              walletbridge enumerate
              walletbridge enumerate --transport tcp:127.0.0.1:9999
            """,
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, _ in
            let selection = try DeviceSelection(arguments)
            let resolver = try DeviceResolver(selection, commandLine: arguments.commandLine)
            var entries: [JSONValue] = []
            for candidate in try resolver.candidates() {
                entries.append(await DeviceProbe.entry(for: candidate, resolver: resolver, timeout: selection.timeout))
            }
            return .array(entries)
        }
    )
}

/// How `enumerate` finds a device's state: it opens the device and asks which app is open.
enum DeviceProbe {
    /// The longest a probe waits: a device showing a prompt does not answer until it is dismissed, and listing
    /// devices must not hang on it.
    static let longestWait: Duration = .seconds(3)

    /// The `enumerate` entry for `candidate`.
    static func entry(for candidate: DeviceCandidate, resolver: DeviceResolver, timeout: Duration) async -> JSONValue {
        let descriptor = candidate.descriptor
        var entry: JSONObject = [
            "id": .string(descriptor.id), "type": .string(descriptor.family.rawValue), "model": .string(descriptor.model),
            "transport": .string(descriptor.transport), "path": .string(descriptor.path),
        ]
        do {
            let device = try resolver.open(candidate)
            defer { device.close() }
            let app = try await device.wallet.appInfo(OperationOptions(timeout: min(timeout, longestWait)))
            // ledger.md section 3: the dashboard answers B0 01 with the name "BOLOS".
            if app.name == "BOLOS" {
                entry["state"] = "app-closed"
            } else {
                entry["state"] = "ready"
                entry["app"] = ["name": .string(app.name), "version": .string(app.version)]
            }
        } catch {
            let failure = error.asBridgeError
            entry["state"] = .string(state(for: failure))
            entry["error"] = .string(failure.message)
            entry["code"] = .number(JSONNumber(failure.code.rawValue))
        }
        return .object(entry)
    }

    /// The state word for a probe that failed.
    static func state(for failure: any BridgeError) -> String {
        switch failure.code {
        case .deviceLocked: "locked"
        // A device that does not answer in time is most likely showing a prompt for another program.
        case .busy, .timedOut: "busy"
        case .pinOrPassphraseNeeded: "needs-pin"
        default: "error"
        }
    }
}
