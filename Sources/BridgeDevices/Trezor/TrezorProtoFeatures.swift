extension TrezorProto {
    /// Features (17): what the device is and how it is set up; the reply to Initialize and GetFeatures.
    ///
    /// Fields from trezor/trezor-firmware common/protob/messages-management.proto as listed in
    /// ../shared/reference/trezor.md section 3 ("Features") plus the ones the Trezor One 1.14.2 transcripts carry;
    /// other fields are skipped on decoding.
    public struct Features: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.features

        /// 1: optional vendor: "trezor.io" (or "bitcointrezor.com" on old firmware).
        public var vendor: String?
        /// 2: required major_version.
        public var majorVersion: UInt32
        /// 3: required minor_version.
        public var minorVersion: UInt32
        /// 4: required patch_version.
        public var patchVersion: UInt32
        /// 5: optional bootloader_mode.
        public var bootloaderMode: Bool?
        /// 6: optional device_id: the USB serial of a Trezor One.
        public var deviceID: String?
        /// 7: optional pin_protection.
        public var pinProtection: Bool?
        /// 8: optional passphrase_protection.
        public var passphraseProtection: Bool?
        /// 9: optional language.
        public var language: String?
        /// 10: optional label.
        public var label: String?
        /// 12: optional initialized: the device holds a seed.
        public var initialized: Bool?
        /// 13: optional revision: firmware source revision.
        public var revision: [UInt8]?
        /// 14: optional bootloader_hash.
        public var bootloaderHash: [UInt8]?
        /// 15: optional imported.
        public var imported: Bool?
        /// 16: optional unlocked: the PIN was entered (formerly pin_cached).
        public var unlocked: Bool?
        /// 18: optional firmware_present.
        public var firmwarePresent: Bool?
        /// 19: optional backup_availability.
        public var backupAvailability: BackupAvailability?
        /// 20: optional flags.
        public var flags: UInt32?
        /// 21: optional model: "1", "T", "Safe 3", "Safe 5", "Safe 7".
        public var model: String?
        /// 22: optional fw_major.
        public var fwMajor: UInt32?
        /// 23: optional fw_minor.
        public var fwMinor: UInt32?
        /// 24: optional fw_patch.
        public var fwPatch: UInt32?
        /// 25: optional fw_vendor.
        public var fwVendor: String?
        /// 27: optional unfinished_backup.
        public var unfinishedBackup: Bool?
        /// 28: optional no_backup.
        public var noBackup: Bool?
        /// 30: repeated capabilities.
        public var capabilities: [Capability]
        /// 31: optional backup_type.
        public var backupType: BackupType?
        /// 34: optional wipe_code_protection.
        public var wipeCodeProtection: Bool?
        /// 35: optional session_id: 32 bytes, only in the reply to Initialize.
        public var sessionID: [UInt8]?
        /// 36: optional passphrase_always_on_device.
        public var passphraseAlwaysOnDevice: Bool?
        /// 37: optional safety_checks.
        public var safetyChecks: SafetyCheckLevel?
        /// 38: optional auto_lock_delay_ms.
        public var autoLockDelayMs: UInt32?
        /// 41: optional busy.
        public var busy: Bool?
        /// 42: optional homescreen_format.
        public var homescreenFormat: HomescreenFormat?
        /// 43: optional hide_passphrase_from_host.
        public var hidePassphraseFromHost: Bool?
        /// 44: optional internal_model: "T1B1", "T2T1", "T2B1"/"T3B1", "T3T1", "T3W1" (absent on a Trezor One).
        public var internalModel: String?
        /// 45: optional unit_color.
        public var unitColor: UInt32?
        /// 46: optional unit_btconly.
        public var unitBtconly: Bool?
        /// 61: optional build_version.
        public var buildVersion: UInt32?
        /// Fields whose enum value this code does not know, as encoded.
        public var unrecognizedFields: [UInt8] = []

        public init(
            vendor: String? = nil,
            majorVersion: UInt32,
            minorVersion: UInt32,
            patchVersion: UInt32,
            bootloaderMode: Bool? = nil,
            deviceID: String? = nil,
            pinProtection: Bool? = nil,
            passphraseProtection: Bool? = nil,
            language: String? = nil,
            label: String? = nil,
            initialized: Bool? = nil,
            revision: [UInt8]? = nil,
            bootloaderHash: [UInt8]? = nil,
            imported: Bool? = nil,
            unlocked: Bool? = nil,
            firmwarePresent: Bool? = nil,
            backupAvailability: BackupAvailability? = nil,
            flags: UInt32? = nil,
            model: String? = nil,
            fwMajor: UInt32? = nil,
            fwMinor: UInt32? = nil,
            fwPatch: UInt32? = nil,
            fwVendor: String? = nil,
            unfinishedBackup: Bool? = nil,
            noBackup: Bool? = nil,
            capabilities: [Capability] = [],
            backupType: BackupType? = nil,
            wipeCodeProtection: Bool? = nil,
            sessionID: [UInt8]? = nil,
            passphraseAlwaysOnDevice: Bool? = nil,
            safetyChecks: SafetyCheckLevel? = nil,
            autoLockDelayMs: UInt32? = nil,
            busy: Bool? = nil,
            homescreenFormat: HomescreenFormat? = nil,
            hidePassphraseFromHost: Bool? = nil,
            internalModel: String? = nil,
            unitColor: UInt32? = nil,
            unitBtconly: Bool? = nil,
            buildVersion: UInt32? = nil
        ) {
            self.vendor = vendor
            self.majorVersion = majorVersion
            self.minorVersion = minorVersion
            self.patchVersion = patchVersion
            self.bootloaderMode = bootloaderMode
            self.deviceID = deviceID
            self.pinProtection = pinProtection
            self.passphraseProtection = passphraseProtection
            self.language = language
            self.label = label
            self.initialized = initialized
            self.revision = revision
            self.bootloaderHash = bootloaderHash
            self.imported = imported
            self.unlocked = unlocked
            self.firmwarePresent = firmwarePresent
            self.backupAvailability = backupAvailability
            self.flags = flags
            self.model = model
            self.fwMajor = fwMajor
            self.fwMinor = fwMinor
            self.fwPatch = fwPatch
            self.fwVendor = fwVendor
            self.unfinishedBackup = unfinishedBackup
            self.noBackup = noBackup
            self.capabilities = capabilities
            self.backupType = backupType
            self.wipeCodeProtection = wipeCodeProtection
            self.sessionID = sessionID
            self.passphraseAlwaysOnDevice = passphraseAlwaysOnDevice
            self.safetyChecks = safetyChecks
            self.autoLockDelayMs = autoLockDelayMs
            self.busy = busy
            self.homescreenFormat = homescreenFormat
            self.hidePassphraseFromHost = hidePassphraseFromHost
            self.internalModel = internalModel
            self.unitColor = unitColor
            self.unitBtconly = unitBtconly
            self.buildVersion = buildVersion
        }

        public static let protoName = "Features"
        public static let empty = Features(majorVersion: 0, minorVersion: 0, patchVersion: 0)
        public static let fields: [ProtobufFieldSpec<Features>] = [
            .string(1, "vendor", \.vendor),
            .uint32(2, "major_version", required: \.majorVersion),
            .uint32(3, "minor_version", required: \.minorVersion),
            .uint32(4, "patch_version", required: \.patchVersion),
            .bool(5, "bootloader_mode", \.bootloaderMode),
            .string(6, "device_i_d", \.deviceID),
            .bool(7, "pin_protection", \.pinProtection),
            .bool(8, "passphrase_protection", \.passphraseProtection),
            .string(9, "language", \.language),
            .string(10, "label", \.label),
            .bool(12, "initialized", \.initialized),
            .bytes(13, "revision", \.revision),
            .bytes(14, "bootloader_hash", \.bootloaderHash),
            .bool(15, "imported", \.imported),
            .bool(16, "unlocked", \.unlocked),
            .bool(18, "firmware_present", \.firmwarePresent),
            .enumeration(19, "backup_availability", \.backupAvailability, unrecognized: \.unrecognizedFields),
            .uint32(20, "flags", \.flags),
            .string(21, "model", \.model),
            .uint32(22, "fw_major", \.fwMajor),
            .uint32(23, "fw_minor", \.fwMinor),
            .uint32(24, "fw_patch", \.fwPatch),
            .string(25, "fw_vendor", \.fwVendor),
            .bool(27, "unfinished_backup", \.unfinishedBackup),
            .bool(28, "no_backup", \.noBackup),
            .repeatedEnumeration(30, "capabilities", \.capabilities, unrecognized: \.unrecognizedFields),
            .enumeration(31, "backup_type", \.backupType, unrecognized: \.unrecognizedFields),
            .bool(34, "wipe_code_protection", \.wipeCodeProtection),
            .bytes(35, "session_i_d", \.sessionID),
            .bool(36, "passphrase_always_on_device", \.passphraseAlwaysOnDevice),
            .enumeration(37, "safety_checks", \.safetyChecks, unrecognized: \.unrecognizedFields),
            .uint32(38, "auto_lock_delay_ms", \.autoLockDelayMs),
            .bool(41, "busy", \.busy),
            .enumeration(42, "homescreen_format", \.homescreenFormat, unrecognized: \.unrecognizedFields),
            .bool(43, "hide_passphrase_from_host", \.hidePassphraseFromHost),
            .string(44, "internal_model", \.internalModel),
            .uint32(45, "unit_color", \.unitColor),
            .bool(46, "unit_btconly", \.unitBtconly),
            .uint32(61, "build_version", \.buildVersion),
        ]
    }
}
