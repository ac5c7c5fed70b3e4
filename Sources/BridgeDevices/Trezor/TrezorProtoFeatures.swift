extension TrezorProto {
    /// Features (17): what the device is and how it is set up; the reply to Initialize and GetFeatures.
    ///
    /// Fields from trezor/trezor-firmware common/protob/messages-management.proto as listed in
    /// ../shared/reference/trezor.md section 3 ("Features") plus the ones the Trezor One 1.14.2 transcripts carry;
    /// other fields are skipped on decoding.
    public struct Features: TrezorMessage {
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var majorVersion: UInt32?
            var minorVersion: UInt32?
            var patchVersion: UInt32?
            self.init(majorVersion: 0, minorVersion: 0, patchVersion: 0)
            while let field = try reader.next() {
                switch field.number {
                case 1: vendor = try field.string()
                case 2: majorVersion = try field.uint32()
                case 3: minorVersion = try field.uint32()
                case 4: patchVersion = try field.uint32()
                case 5: bootloaderMode = try field.bool()
                case 6: deviceID = try field.string()
                case 7: pinProtection = try field.bool()
                case 8: passphraseProtection = try field.bool()
                case 9: language = try field.string()
                case 10: label = try field.string()
                case 12: initialized = try field.bool()
                case 13: revision = try field.bytes()
                case 14: bootloaderHash = try field.bytes()
                case 15: imported = try field.bool()
                case 16: unlocked = try field.bool()
                case 18: firmwarePresent = try field.bool()
                case 19:
                    if let value = try field.enumeration(BackupAvailability.self) { backupAvailability = value } else { unrecognizedFields += field.encoded }
                case 20: flags = try field.uint32()
                case 21: model = try field.string()
                case 22: fwMajor = try field.uint32()
                case 23: fwMinor = try field.uint32()
                case 24: fwPatch = try field.uint32()
                case 25: fwVendor = try field.string()
                case 27: unfinishedBackup = try field.bool()
                case 28: noBackup = try field.bool()
                case 30:
                    // Packed or not; an unknown value is kept as encoded (one field per value).
                    for raw in try field.packedVarints() {
                        if let value = Capability(rawValue: Int(Int32(truncatingIfNeeded: raw))) {
                            capabilities.append(value)
                        } else {
                            var writer = ProtobufWriter()
                            writer.uint64(raw, field: 30)
                            unrecognizedFields += writer.bytes
                        }
                    }
                case 31:
                    if let value = try field.enumeration(BackupType.self) { backupType = value } else { unrecognizedFields += field.encoded }
                case 34: wipeCodeProtection = try field.bool()
                case 35: sessionID = try field.bytes()
                case 36: passphraseAlwaysOnDevice = try field.bool()
                case 37:
                    if let value = try field.enumeration(SafetyCheckLevel.self) { safetyChecks = value } else { unrecognizedFields += field.encoded }
                case 38: autoLockDelayMs = try field.uint32()
                case 41: busy = try field.bool()
                case 42:
                    if let value = try field.enumeration(HomescreenFormat.self) { homescreenFormat = value } else { unrecognizedFields += field.encoded }
                case 43: hidePassphraseFromHost = try field.bool()
                case 44: internalModel = try field.string()
                case 45: unitColor = try field.uint32()
                case 46: unitBtconly = try field.bool()
                case 61: buildVersion = try field.uint32()
                default: break
                }
            }
            guard let majorVersion else { throw .missingField("Features", "major_version") }
            self.majorVersion = majorVersion
            guard let minorVersion else { throw .missingField("Features", "minor_version") }
            self.minorVersion = minorVersion
            guard let patchVersion else { throw .missingField("Features", "patch_version") }
            self.patchVersion = patchVersion
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(vendor, field: 1)
            writer.uint32(majorVersion, field: 2)
            writer.uint32(minorVersion, field: 3)
            writer.uint32(patchVersion, field: 4)
            writer.bool(bootloaderMode, field: 5)
            writer.string(deviceID, field: 6)
            writer.bool(pinProtection, field: 7)
            writer.bool(passphraseProtection, field: 8)
            writer.string(language, field: 9)
            writer.string(label, field: 10)
            writer.bool(initialized, field: 12)
            writer.lengthDelimited(revision, field: 13)
            writer.lengthDelimited(bootloaderHash, field: 14)
            writer.bool(imported, field: 15)
            writer.bool(unlocked, field: 16)
            writer.bool(firmwarePresent, field: 18)
            writer.enumeration(backupAvailability, field: 19)
            writer.uint32(flags, field: 20)
            writer.string(model, field: 21)
            writer.uint32(fwMajor, field: 22)
            writer.uint32(fwMinor, field: 23)
            writer.uint32(fwPatch, field: 24)
            writer.string(fwVendor, field: 25)
            writer.bool(unfinishedBackup, field: 27)
            writer.bool(noBackup, field: 28)
            writer.repeatedEnumeration(capabilities, field: 30)
            writer.enumeration(backupType, field: 31)
            writer.bool(wipeCodeProtection, field: 34)
            writer.lengthDelimited(sessionID, field: 35)
            writer.bool(passphraseAlwaysOnDevice, field: 36)
            writer.enumeration(safetyChecks, field: 37)
            writer.uint32(autoLockDelayMs, field: 38)
            writer.bool(busy, field: 41)
            writer.enumeration(homescreenFormat, field: 42)
            writer.bool(hidePassphraseFromHost, field: 43)
            writer.string(internalModel, field: 44)
            writer.uint32(unitColor, field: 45)
            writer.bool(unitBtconly, field: 46)
            writer.uint32(buildVersion, field: 61)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }
}
