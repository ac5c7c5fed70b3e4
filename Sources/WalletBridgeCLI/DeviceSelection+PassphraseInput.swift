extension DeviceSelection {
    /// `--passphrase-on-host -`: the passphrase is read as one line from standard input instead, so it never sits in
    /// the argument list (visible in /proc/PID/cmdline and shell history). A trailing `\n` or `\r\n` is not part of
    /// it; an empty passphrase is a valid one (Trezor's "standard wallet").
    mutating func readPassphraseFromInput(_ io: CommandIO) {
        guard passphraseOnHost == "-" else { return }
        let input = io.readInput()
        var line = input.prefix { $0 != UInt8(ascii: "\n") }
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        passphraseOnHost = String(decoding: line, as: UTF8.self)
    }
}
