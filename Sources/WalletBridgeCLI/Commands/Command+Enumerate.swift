import BridgeCore
import BridgeDevices
import FoundationEssentials

extension Command {
    /// `walletbridge enumerate`: the devices the transport reaches, each with its state.
    static let enumerate = Command(
        name: "enumerate",
        abstract: "List the connected hardware wallets with their state and open app.",
        discussion: """
            Prints a JSON array, one entry per device: {"id", "type": "ledger"|"trezor", "model", "transport", \
            "path", "state", "app": {"name", "version"}?, "error"?, "code"?}. state is ready (a Ledger app is \
            open; a Trezor is unlocked), app-closed (the Ledger dashboard), locked (a Ledger's lock screen; a \
            Trezor whose PIN is not entered yet), busy or error; a device that fails is reported in its own entry \
            with the error and its code, and the command still succeeds. A Trezor's app is its firmware \
            ("Trezor Safe 5", "2.8.1") and its model comes from its Features. Pass an id to --device to choose a \
            device when several are connected. Without --transport, every wallet on USB is listed: hidraw \
            (Ledger; Trezor One on legacy HID firmware) and WebUSB (Trezor, through libusb).

            --watch keeps listing until SIGINT or SIGTERM and prints one JSON object per line for every hot-plug \
            event: {"event": "added"|"removed"|"changed", "device": {an entry as above}}, the devices present at \
            the start first as added; an app switch or a lock is a change. It lists every half second, each time in \
            a fresh process of its own (so libusb's device list is never stale where no udev daemon runs).

            Examples:
              walletbridge enumerate
              walletbridge enumerate --watch
              walletbridge enumerate --transport webusb
              walletbridge enumerate --transport tcp:127.0.0.1:9999
              walletbridge enumerate --transport udp:127.0.0.1:21324
            """,
        options: [.flag("watch", help: "Keep listing and print added/changed/removed events, one JSON object per line, until SIGINT or SIGTERM.")],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            if arguments.flag("watch") { return try await watchDevices(arguments, io: io) }
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
            let options = OperationOptions(timeout: min(timeout, longestWait))
            if let trezor = device.wallet as? TrezorDevice {
                try await describe(trezor, into: &entry, options)
                return .object(entry)
            }
            let app = try await device.wallet.appInfo(options)
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

    /// A Trezor's state from its Features, which it gives without a PIN: locked until the PIN is entered (unlocked
    /// false), busy while another host's workflow runs, and its firmware as the app. A device in its bootloader or
    /// without a seed is an error entry with the code a command would get.
    static func describe(_ trezor: TrezorDevice, into entry: inout JSONObject, _ options: OperationOptions) async throws {
        let features = try await trezor.features(options)
        entry["model"] = .string(features.modelIdentifier)
        let version = features.firmwareVersion
        if features.bootloaderMode == true {
            throw DeviceError.notSupported("the Trezor is in bootloader mode (bootloader \(version)); restart it to run its firmware")
        }
        if features.initialized == false { throw DeviceError.notInitialized }
        if features.unlocked == false {
            entry["state"] = "locked"
        } else if features.busy == true {
            entry["state"] = "busy"
        } else {
            entry["state"] = "ready"
        }
        entry["app"] = ["name": .string(features.productName), "version": .string(version)]
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

/// `enumerate --watch`: a listing every half second, in a child `walletbridge enumerate` with the same options (fresh
/// hidapi and libusb state each time), turned into events by ``DeviceWatch``; ends on SIGINT or SIGTERM.
private func watchDevices(_ arguments: ParsedArguments, io: CommandIO) async throws -> JSONValue? {
    _ = try DeviceSelection(arguments)  // bad options fail now, as usage errors, not in every child
    let signals = TerminationSignals()
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    let childArguments = ["enumerate"] + arguments.forwardedOptions(excluding: ["watch"])
    var watch = DeviceWatch()
    while signals.received == nil {
        if let listing = try? listDevices(executable, childArguments) {
            for event in watch.update(with: listing) { io.writeOutput(event.serialized() + "\n") }
        }
        try? await Task.sleep(for: .milliseconds(500))
    }
    return nil
}

/// One `walletbridge enumerate` in a child process: its JSON array.
private func listDevices(_ executable: String, _ arguments: [String]) throws -> [JSONValue] {
    let outcome = try ChildProcess.run(executable, arguments, collectOutput: true, passStandardError: false).get()
    return try JSONValue(parsing: outcome.output).arrayValue ?? []
}

