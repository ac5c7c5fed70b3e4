extension TrezorProto.Failure {
    /// The device's text without the source-location prefix debug firmware adds ("protect.c:233:PIN invalid" ->
    /// "PIN invalid"): production firmware sends only the part after the last colon (vectors README, "Observations").
    public var text: String {
        guard let message, !message.isEmpty else { return code.map { "\($0)" } ?? "no reason given" }
        let tail = message.split(separator: ":", omittingEmptySubsequences: false).last ?? Substring(message)
        let trimmed = tail.trimmingCharacters(in: " ")
        return trimmed.isEmpty ? message : String(trimmed)
    }

    /// The CONTRACT error for this failure; `request` names the message the device refused (for UnexpectedMessage).
    ///
    /// trezorlib raises `Cancelled` for ActionCancelled and PinCancelled, `PinException` for the PIN codes and
    /// `TrezorFailure` for the rest (FW python/src/trezorlib/client.py `_call`; ../shared/reference/trezor.md section 4).
    public func deviceError(request: String) -> DeviceError {
        switch code {
        case .actionCancelled, .pinCancelled:
            return .rejectedOnDevice
        case .pinInvalid:
            return .trezorPINInvalid
        case .pinExpected:
            return .pinOrPassphraseNeeded("The PIN")
        case .busy:
            return .busy("the Trezor is busy with another workflow (\(text))")
        case .notInitialized:
            return .notInitialized
        case .unexpectedMessage:
            return .notSupported("this Trezor does not support \(request) (\(text))")
        case .invalidProtocol:
            // A THP device (Safe 7) answers every protocol-v1 packet with Failure(InvalidProtocol)
            // (FW rust/trezor-thp/src/channel/device.rs `CODEC_V1_RESPONSE`; ../shared/reference/trezor.md "THP").
            return .thpNotSupported
        case .invalidSession:
            return .deviceFailure("the Trezor session was lost (\(text)); run the command again")
        default:
            return .deviceFailure(text)
        }
    }
}

extension DeviceError {
    /// A Trezor One's PIN matrix could not be answered (no `--pin`, no terminal).
    static var trezorPINMissing: DeviceError {
        .lockedWithReason("The Trezor is locked and no PIN was given",
                          hint: "Give the PIN as matrix positions with --pin (read the device's grid as 7 8 9 / 4 5 6 / 1 2 3), or run the command in a terminal to be asked.")
    }
    /// The device said the PIN was wrong.
    static var trezorPINInvalid: DeviceError {
        .lockedWithReason("The Trezor rejected the PIN: it was wrong",
                          hint: "Run the command again with --pin giving the positions of your PIN digits on the grid the device shows now (it changes every time).")
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return text
    }
}
