// The enums shared by several Trezor messages. Values from trezor/trezor-firmware common/protob/messages-common.proto
// (FailureType, ButtonRequestType, PinMatrixRequestType), messages-bitcoin.proto (InputScriptType,
// MultisigPubkeysOrder) and messages-management.proto (Capability, BackupType, BackupAvailability,
// SafetyCheckLevel, HomescreenFormat); ../shared/reference/trezor.md section 3.
//
// Decoding keeps an enum value this code does not know losslessly, as proto2 does: the field goes to the message's
// `unrecognizedFields` bytes and is written back unchanged on encoding.

extension TrezorProto {
    /// Failure.code.
    public enum FailureType: Int, Sendable, CaseIterable {
        case unexpectedMessage = 1
        case buttonExpected = 2
        case dataError = 3
        case actionCancelled = 4
        case pinExpected = 5
        case pinCancelled = 6
        case pinInvalid = 7
        case invalidSignature = 8
        case processError = 9
        case notEnoughFunds = 10
        case notInitialized = 11
        case pinMismatch = 12
        case wipeCodeMismatch = 13
        case invalidSession = 14
        case busy = 15
        case thpUnallocatedSession = 16
        case invalidProtocol = 17
        case inProgress = 19
        case firmwareError = 99
    }

    /// ButtonRequest.code: what the device's screen asks the user to confirm.
    public enum ButtonRequestType: Int, Sendable, CaseIterable {
        case other = 1
        case feeOverThreshold = 2
        case confirmOutput = 3
        case resetDevice = 4
        case confirmWord = 5
        case wipeDevice = 6
        case protectCall = 7
        case signTx = 8
        case firmwareCheck = 9
        case address = 10
        case publicKey = 11
        case mnemonicWordCount = 12
        case mnemonicInput = 13
        /// `_Deprecated_ButtonRequest_PassphraseType`.
        case deprecatedPassphraseType = 14
        case unknownDerivationPath = 15
        case recoveryHomepage = 16
        case success = 17
        case warning = 18
        case passphraseEntry = 19
        case pinEntry = 20
    }

    /// PinMatrixRequest.type: which PIN the Trezor One's matrix asks for.
    public enum PinMatrixRequestType: Int, Sendable, CaseIterable {
        case current = 1
        case newFirst = 2
        case newSecond = 3
        case wipeCodeFirst = 4
        case wipeCodeSecond = 5
    }

    /// The Bitcoin script type of an input (address / public key / message signature).
    public enum InputScriptType: Int, Sendable, CaseIterable {
        case spendAddress = 0
        case spendMultisig = 1
        case external = 2
        case spendWitness = 3
        case spendP2SHWitness = 4
        case spendTaproot = 5
    }

    /// MultisigRedeemScriptType.pubkeys_order.
    public enum MultisigPubkeysOrder: Int, Sendable, CaseIterable {
        case preserved = 0
        case lexicographic = 1
    }

    /// Features.Capability: what the firmware can do (`Capability_*`).
    public enum Capability: Int, Sendable, CaseIterable {
        case bitcoin = 1
        case bitcoinLike = 2
        case binance = 3
        case cardano = 4
        case crypto = 5
        case eos = 6
        case ethereum = 7
        case lisk = 8
        case monero = 9
        case nem = 10
        case ripple = 11
        case stellar = 12
        case tezos = 13
        case u2f = 14
        case shamir = 15
        case shamirGroups = 16
        /// The device can take the passphrase on its own screen.
        case passphraseEntry = 17
        case solana = 18
        case translations = 19
        case brightness = 20
        case haptic = 21
    }

    /// Features.backup_type.
    public enum BackupType: Int, Sendable, CaseIterable {
        case bip39 = 0
        case slip39Basic = 1
        case slip39Advanced = 2
        case slip39SingleExtendable = 3
        case slip39BasicExtendable = 4
        case slip39AdvancedExtendable = 5
    }

    /// Features.backup_availability.
    public enum BackupAvailability: Int, Sendable, CaseIterable {
        case notAvailable = 0
        case required = 1
        case available = 2
    }

    /// Features.safety_checks.
    public enum SafetyCheckLevel: Int, Sendable, CaseIterable {
        case strict = 0
        case promptAlways = 1
        case promptTemporarily = 2
    }

    /// Features.homescreen_format.
    public enum HomescreenFormat: Int, Sendable, CaseIterable {
        case toif = 1
        case jpeg = 2
        case toiG = 3
    }
}

extension TrezorProto.Features {
    /// `Features.Capability` as the proto nests it.
    public typealias Capability = TrezorProto.Capability
}
