import BridgeDevices

/// What every device command does around its operation: resolve the selection to one device, open it, run, close.
enum DeviceCommand {
    /// The option groups every device command includes.
    static let optionGroups = [DeviceSelection.options, DeviceSelection.simulatorOptions]

    /// Opens the device the command line selects, runs `body` with it and per-call options (the `--timeout`;
    /// progress and prompts such as "Confirm on your Ledger..." and a Trezor One's PIN grid to standard error), and
    /// closes it whatever happens.
    static func withDevice<Output>(
        _ arguments: ParsedArguments, _ io: CommandIO,
        _ body: (_ wallet: any HardwareWallet, _ options: OperationOptions) async throws -> Output
    ) async throws -> Output {
        var selection = try DeviceSelection(arguments)
        selection.readPassphraseFromInput(io)
        // One operation and nothing else to run: the exchanges stay on this thread (see main.swift).
        let device = try DeviceResolver(selection, commandLine: arguments.commandLine, writePrompt: io.writeError,
                                        execution: .callingThread).open()
        defer { device.close() }
        let options = OperationOptions(timeout: selection.timeout, progress: { io.progress($0) })
        do {
            return try await body(device.wallet, options)
        } catch where device.wallet is TrezorDevice {
            throw TrezorErrorHints.refine(error)
        }
    }
}
