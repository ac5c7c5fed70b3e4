import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The simulated Trezor's state machine driven directly with v1 packets: PIN (matrix and on-device), passphrase
/// (host and on-device), the user's decisions, Cancel, sessions and the per-model dialect.
@Suite("Simulated Trezor: state machine")
struct SimulatedTrezorStateTests {
    let ethereumPath = "m/44'/60'/0'/0/0"
    let standardAddress = "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8"
    /// m/44'/60'/0'/0/0 of the "all all" seed with passphrase "TREZOR" (recorded `passphrase_session_ethereum_get_address`).
    let hiddenWalletAddress = "0xf061411b46fB8cCcdeb16855347a419a777A1f9A"

    func getAddress(_ path: String) throws -> TrezorProto.EthereumGetAddress {
        TrezorProto.EthereumGetAddress(addressN: try TrezorSim.path(path), showDisplay: false)
    }

    func address(of message: TrezorWireMessage) throws -> String? {
        try #require(message.messageType == .ethereumAddress, "got \(message.typeName)")
        return try message.decode(TrezorProto.EthereumAddress.self).address
    }

    // MARK: - PIN

    @Test func trezorOnePINMatrixRightPIN() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        #expect(device.isLocked)
        let locked = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(locked.unlocked == false)
        #expect(locked.pinProtection == true)
        let request = try TrezorSim.reply(device, try getAddress(ethereumPath))
        #expect(try request.decode(TrezorProto.PinMatrixRequest.self).type == .current)
        #expect(device.pinMatrixOnScreen == [7, 8, 9, 4, 5, 6, 1, 2, 3])
        // Digit 1 is at position 7, 2 at 8, 3 at 9, 4 at 4.
        let answer = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "7894"))
        #expect(try address(of: answer) == standardAddress)
        #expect(!device.isLocked)
        // Unlocked: the next call goes straight through.
        #expect(try address(of: try TrezorSim.reply(device, try getAddress(ethereumPath))) == standardAddress)
        let unlocked = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(unlocked.unlocked == true)
    }

    @Test func trezorOnePINMatrixWrongPIN() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        _ = try TrezorSim.reply(device, try getAddress(ethereumPath))
        // "1234" typed as if the keypad were not scrambled enters 7-8-9-4 on this layout.
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "1234")))
        #expect(failure.code == .pinInvalid)
        #expect(failure.message == "PIN invalid")
        #expect(device.isLocked)
        #expect(device.pinMatrixOnScreen == nil)
    }

    @Test func trezorOneDrawsANewRandomMatrixForEveryRequest() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pin = "5821"
        }
        var layouts: [[UInt8]] = []
        for _ in 0..<6 {
            _ = try TrezorSim.reply(device, try getAddress(ethereumPath))
            let layout = try #require(device.pinMatrixOnScreen)
            #expect(layout.sorted() == Array(1...9))
            layouts.append(layout)
            let cancelled = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.Cancel()))
            #expect(cancelled.code == .pinCancelled)
        }
        // Six identical shuffles of nine digits would be a one in 362880^5 event.
        #expect(Set(layouts).count > 1)
        // The positions read off the screen unlock it.
        _ = try TrezorSim.reply(device, try getAddress(ethereumPath))
        let positions = try TrezorSim.positions(of: "5821", on: try #require(device.pinMatrixOnScreen))
        #expect(try address(of: try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: positions))) == standardAddress)
    }

    @Test func coreEntersThePINOnTheDevice() throws {
        let device = try TrezorSim.device {
            $0.model = .safe5
            $0.pin = "1234"
        }
        let (result, buttons) = try TrezorSim.call(device, try getAddress(ethereumPath))
        #expect(buttons.map(\.code) == [.pinEntry])
        #expect(buttons.map(\.name) == ["pin_device"])
        #expect(try address(of: result) == standardAddress)
        #expect(!device.isLocked)
        // Unlocked now: no more PIN screen.
        #expect(try TrezorSim.call(device, try getAddress(ethereumPath)).buttons.isEmpty)
        device.lock()
        #expect(try TrezorSim.call(device, try getAddress(ethereumPath)).buttons.map(\.code) == [.pinEntry])
    }

    @Test func coreUserCancelsThePINEntry() throws {
        let device = try TrezorSim.device {
            $0.model = .safe3
            $0.pin = "0000"
            $0.approval = .deny
        }
        let (result, buttons) = try TrezorSim.call(device, try getAddress(ethereumPath))
        #expect(buttons.map(\.code) == [.pinEntry])
        let failure = try TrezorSim.failure(result)
        #expect(failure.code == .pinCancelled)
        #expect(failure.message == "PIN entry cancelled")
        #expect(device.isLocked)
    }

    @Test func configurationIsChecked() throws {
        #expect(throws: DeviceError.self) { try TrezorSim.device { $0.pinLayout = [1, 2, 3, 4, 5, 6, 7, 8, 8] } }
        #expect(throws: DeviceError.self) { try TrezorSim.device { $0.model = .one; $0.pin = "1230" } }
        #expect(throws: DeviceError.self) { try TrezorSim.device { $0.pin = "12a4" } }
        #expect(throws: DeviceError.self) { try TrezorSim.device { $0.mnemonic = "all all all" } }
        #expect(throws: Never.self) { try TrezorSim.device { $0.model = .safe5; $0.pin = "1230" } }
    }

    // MARK: - Passphrase

    /// trezorlib's session open: Initialize, then GetPublicKey(m/0') for the root fingerprint.
    func openSession(_ device: SimulatedTrezor, resuming id: [UInt8]? = nil) throws -> [UInt8] {
        let features = try TrezorSim.reply(device, TrezorProto.Initialize(sessionID: id, deriveCardano: false))
        return try #require(try features.decode(TrezorProto.Features.self).sessionID)
    }

    var rootRequest: TrezorProto.GetPublicKey {
        TrezorProto.GetPublicKey(addressN: [0x8000_0000], ecdsaCurveName: "secp256k1", showDisplay: false,
                                 coinName: "Bitcoin", scriptType: .spendAddress, ignoreXpubMagic: true)
    }

    @Test func hostPassphraseOnCoreIsConfirmedTwiceAndCachedPerSession() throws {
        let device = try TrezorSim.device {
            $0.model = .safe5
            $0.passphrase = "ignored when the host sends one"
        }
        let session = try openSession(device)
        #expect(try TrezorSim.reply(device, rootRequest).messageType == .passphraseRequest)
        var answer = try TrezorSim.reply(device, TrezorProto.PassphraseAck(passphrase: "TREZOR"))
        var names: [String?] = []
        while answer.messageType == .buttonRequest {
            names.append(try answer.decode(TrezorProto.ButtonRequest.self).name)
            answer = try TrezorSim.reply(device, TrezorProto.ButtonAck())
        }
        #expect(names == ["passphrase_host1", "passphrase_host2"])
        // The TREZOR wallet's root fingerprint (recorded: 0x4b854ccf).
        #expect(try answer.decode(TrezorProto.PublicKey.self).rootFingerprint == 0x4B85_4CCF)
        #expect(try address(of: try TrezorSim.reply(device, try getAddress(ethereumPath))) == hiddenWalletAddress)

        // A new session asks again; the old one resumes without asking.
        _ = try openSession(device)
        #expect(try TrezorSim.reply(device, try getAddress(ethereumPath)).messageType == .passphraseRequest)
        #expect(try address(of: try TrezorSim.reply(device, TrezorProto.PassphraseAck(passphrase: ""))) == standardAddress)
        #expect(try openSession(device, resuming: session) == session)
        #expect(try address(of: try TrezorSim.reply(device, try getAddress(ethereumPath))) == hiddenWalletAddress)
    }

    @Test func onDevicePassphraseOnCoreIsTheConfiguredOne() throws {
        let device = try TrezorSim.device {
            $0.model = .safe5
            $0.passphrase = "TREZOR"
        }
        let features = try TrezorSim.reply(device, TrezorProto.Initialize()).decode(TrezorProto.Features.self)
        #expect(features.passphraseProtection == true)
        #expect(features.capabilities.contains(.passphraseEntry))
        #expect(try TrezorSim.reply(device, rootRequest).messageType == .passphraseRequest)
        let entry = try TrezorSim.reply(device, TrezorProto.PassphraseAck(onDevice: true))
        let button = try entry.decode(TrezorProto.ButtonRequest.self)
        #expect(button.code == .passphraseEntry)
        #expect(button.name == "passphrase_device")
        let publicKey = try TrezorSim.reply(device, TrezorProto.ButtonAck()).decode(TrezorProto.PublicKey.self)
        #expect(publicKey.rootFingerprint == 0x4B85_4CCF)
        // Both a passphrase and on_device is refused (docs/common/protocol_v1/passphrase.md).
        _ = try openSession(device)
        _ = try TrezorSim.reply(device, rootRequest)
        let refused = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.PassphraseAck(passphrase: "x", onDevice: true)))
        #expect(refused.code == .dataError)
    }

    @Test func trezorOneCannotTakeThePassphraseOnTheDevice() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.passphrase = "TREZOR"
        }
        let features = try TrezorSim.reply(device, TrezorProto.Initialize()).decode(TrezorProto.Features.self)
        #expect(!features.capabilities.contains(.passphraseEntry))
        _ = try TrezorSim.reply(device, rootRequest)
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.PassphraseAck(onDevice: true)))
        #expect(failure.code == .dataError)
        #expect(failure.message == "This firmware is incapable of passphrase entry on the device.")
    }

    @Test func emptyHostPassphraseNeedsNoConfirmation() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.passphrase = ""
        }
        _ = try openSession(device)
        _ = try TrezorSim.reply(device, rootRequest)
        let answer = try TrezorSim.reply(device, TrezorProto.PassphraseAck(passphrase: ""))
        #expect(try answer.decode(TrezorProto.PublicKey.self).rootFingerprint == 0x5C9E_228D)
    }

    // MARK: - The user's decisions and Cancel

    func signMessage() throws -> TrezorProto.EthereumSignMessage {
        TrezorProto.EthereumSignMessage(addressN: try TrezorSim.path(ethereumPath),
                                        message: Array("This is an example of a signed message.".utf8))
    }

    @Test(arguments: SimulatedTrezor.Model.allCases)
    func denyIsActionCancelled(model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device {
            $0.model = model
            $0.approval = .deny
        }
        let (result, buttons) = try TrezorSim.call(device, try signMessage())
        #expect(buttons.count == 1)
        let failure = try TrezorSim.failure(result)
        #expect(failure.code == .actionCancelled)
        #expect(failure.message == (model == .one ? "Action cancelled by user" : "Cancelled"))
        // setApproval changes the decision for what follows.
        device.setApproval(.approve)
        #expect(try TrezorSim.call(device, try signMessage()).result.messageType == .ethereumMessageSignature)
    }

    @Test(arguments: SimulatedTrezor.Model.allCases)
    func cancelInsteadOfButtonAck(model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        #expect(try TrezorSim.reply(device, try signMessage()).messageType == .buttonRequest)
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.Cancel()))
        #expect(failure.code == .actionCancelled)
        // The workflow is gone: a ButtonAck now is an answer nobody asked for.
        let stray = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.ButtonAck()))
        #expect(stray.code == .unexpectedMessage)
    }

    @Test func cancelAfterButtonAckWhileNobodyPresses() throws {
        let device = try TrezorSim.device {
            $0.model = .safe5
            $0.userPressesButtons = false
        }
        #expect(try TrezorSim.reply(device, try signMessage()).messageType == .buttonRequest)
        #expect(try TrezorSim.send(device, TrezorProto.ButtonAck()).isEmpty)
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.Cancel()))
        #expect(failure.code == .actionCancelled)
        #expect(failure.message == "Cancelled")
    }

    @Test func scriptedDecisionsThenTheDefault() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.scriptedDecisions = [.approve, .deny]
        }
        let first = try TrezorSim.call(device, try signMessage())
        #expect(first.buttons.count == 2)
        #expect(try TrezorSim.failure(first.result).code == .actionCancelled)
        #expect(try TrezorSim.call(device, try signMessage()).result.messageType == .ethereumMessageSignature)
    }

    @Test func coreInitializeDuringAWorkflowResumesTheNamedSession() throws {
        let device = try TrezorSim.device { $0.model = .safe5 }
        let session = try openSession(device)
        #expect(try TrezorSim.reply(device, try signMessage()).messageType == .buttonRequest)
        // core ends the waiting workflow and handles Initialize as a new request, which resumes the session.
        #expect(try openSession(device, resuming: session) == session)
        #expect(try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.ButtonAck())).code == .unexpectedMessage)
    }

    @Test func trezorOneRefusesOtherMessagesWhileWaitingAndKeepsWaiting() throws {
        let device = try TrezorSim.device { $0.model = .one }
        #expect(try TrezorSim.reply(device, try signMessage()).messageType == .buttonRequest)
        let refused = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.GetFeatures()))
        #expect(refused.code == .unexpectedMessage)
        #expect(refused.message == "Unknown message")
        // The screen still waits for its ButtonAck.
        #expect(try TrezorSim.reply(device, TrezorProto.ButtonAck()).messageType == .buttonRequest)
        #expect(try TrezorSim.reply(device, TrezorProto.ButtonAck()).messageType == .ethereumMessageSignature)
    }

    // MARK: - Management and dialects

    @Test(arguments: SimulatedTrezor.Model.allCases)
    func featuresPerModel(model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device {
            $0.model = model
            $0.label = "desk"
            $0.deviceID = "0123456789ABCDEF01234567"
        }
        let initialized = try TrezorSim.reply(device, TrezorProto.Initialize()).decode(TrezorProto.Features.self)
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(initialized.sessionID?.count == 32)
        #expect(features.sessionID == nil)
        var withoutSession = initialized
        withoutSession.sessionID = nil
        #expect(withoutSession == features)
        #expect(features.vendor == "trezor.io")
        #expect(features.label == "desk")
        #expect(features.deviceID == "0123456789ABCDEF01234567")
        #expect(features.unlocked == true)
        #expect(features.passphraseProtection == false)
        let expected: (model: String, internal: String?, version: [UInt32], minimum: [UInt32]) =
            switch model {
            case .one: ("1", nil, [1, 14, 2], [1, 8, 0])
            case .t: ("T", "T2T1", [2, 8, 9], [2, 3, 0])
            case .safe3: ("Safe 3", "T3B1", [2, 8, 9], [2, 8, 3])
            case .safe5: ("Safe 5", "T3T1", [2, 8, 9], [2, 7, 2])
            }
        #expect(features.model == expected.model)
        #expect(features.internalModel == expected.internal)
        let version = [features.majorVersion, features.minorVersion, features.patchVersion]
        #expect(version == expected.version)
        #expect(version.lexicographicallyPrecedes(expected.minimum) == false)
        #expect(features.capabilities.contains(.passphraseEntry) == (model != .one))
        #expect(features.capabilities.contains(.ethereum))
    }

    @Test func pingCancelAndEndSession() throws {
        let device = try TrezorSim.device { $0.model = .t }
        let pong = try TrezorSim.reply(device, TrezorProto.Ping(message: "hi", buttonProtection: false))
        #expect(try pong.decode(TrezorProto.Success.self).message == "hi")
        let protected = try TrezorSim.call(device, TrezorProto.Ping(message: "hi", buttonProtection: true))
        #expect(protected.buttons.map(\.code) == [.protectCall])
        #expect(try protected.result.decode(TrezorProto.Success.self).message == "hi")
        let idleCancel = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.Cancel()))
        #expect(idleCancel.code == .actionCancelled)
        let session = try openSession(device)
        let ended = try TrezorSim.reply(device, TrezorProto.EndSession())
        #expect(try ended.decode(TrezorProto.Success.self).message == "Session ended")
        #expect(!device.sessionIDs.contains(session))
        // The ended session cannot be resumed: a new id comes back.
        #expect(try openSession(device, resuming: session) != session)
    }

    @Test func sessionsAreLimitedToTenLeastRecentlyUsedFirstOut() throws {
        let device = try TrezorSim.device()
        let first = try openSession(device)
        for _ in 0..<10 { _ = try openSession(device) }
        #expect(device.sessionIDs.count == 10)
        #expect(!device.sessionIDs.contains(first))
    }

    @Test func unknownTypesPerDialect() throws {
        let one = try TrezorSim.device { $0.model = .one }
        let safe = try TrezorSim.device { $0.model = .safe5 }
        let unknown = TrezorWireMessage(type: 9999, payload: [])
        #expect(try TrezorSim.failure(try #require(try TrezorSim.send(one, unknown).first)).message == "Unknown message")
        #expect(try TrezorSim.failure(try #require(try TrezorSim.send(safe, unknown).first)).message == "Unexpected message")
        // EthereumSignTypedHash is Trezor One only; EthereumSignTypedData core only.
        let hash = TrezorProto.EthereumSignTypedHash(addressN: try TrezorSim.path(ethereumPath), domainSeparatorHash: Array(repeating: 1, count: 32))
        #expect(try TrezorSim.failure(try TrezorSim.reply(safe, hash)).code == .unexpectedMessage)
        let typed = TrezorProto.EthereumSignTypedData(addressN: try TrezorSim.path(ethereumPath), primaryType: "Mail", metamaskV4Compat: true)
        let refused = try TrezorSim.failure(try TrezorSim.reply(one, typed))
        #expect(refused.code == .unexpectedMessage)
        #expect(refused.message == "Unknown message")
    }

    @Test func junkPacketsWhileIdleAreIgnoredAndLongMessagesReassembled() throws {
        let device = try TrezorSim.device { $0.model = .one }
        #expect(device.receive(packet: Array(repeating: 0xAA, count: 64)).isEmpty)
        #expect(device.receive(packet: [0x3F] + Array(repeating: 0, count: 63)).isEmpty)
        #expect(device.receive(packet: Array(repeating: 0x3F, count: 10)).isEmpty, "only 64-byte packets count")
        // 200 ASCII characters: 4 packets in, and the Trezor One pages them 72 a screen: address + 3 pages.
        let text = String(repeating: "VeryLongMessage!", count: 13).prefix(200)
        let message = TrezorProto.EthereumSignMessage(addressN: try TrezorSim.path(ethereumPath), message: Array(text.utf8))
        #expect(TrezorV1Framing.packets(for: TrezorWireMessage(message)).count == 4)
        let (result, buttons) = try TrezorSim.call(device, message)
        #expect(buttons.count == 4)
        #expect(buttons.allSatisfy { $0.code == .other && $0.name == nil })
        let signature = try result.decode(TrezorProto.EthereumMessageSignature.self)
        let recovered = try EthereumSignature(bytes: signature.signature).recoverSigner(digest: PersonalMessage.hash(Array(text.utf8)))
        #expect(recovered.checksummed == standardAddress)
    }

    @Test func nonASCIIMessagesArePagedAsHex() throws {
        let device = try TrezorSim.device { $0.model = .one }
        // 40 bytes with a non-printable one: hex pages of 32 bytes, so 2 pages after the address.
        let bytes = Array(repeating: UInt8(0x41), count: 39) + [0x0A]
        let message = TrezorProto.SignMessage(addressN: try TrezorSim.path("m/44'/0'/0'/0/0"), message: bytes, coinName: "Bitcoin")
        #expect(try TrezorSim.call(device, message).buttons.count == 3)
    }

    @Test func showDisplayAsksForTheAddressScreen() throws {
        let device = try TrezorSim.device { $0.model = .one }
        let get = TrezorProto.GetAddress(addressN: try TrezorSim.path("m/84'/0'/0'/0/0"), coinName: "Bitcoin", showDisplay: true,
                                         scriptType: .spendWitness)
        let (result, buttons) = try TrezorSim.call(device, get)
        #expect(buttons.map(\.code) == [.address])
        #expect(try result.decode(TrezorProto.Address.self).address == "bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk")
    }

    @Test func refusesWhatItDoesNotSimulate() throws {
        let device = try TrezorSim.device { $0.model = .safe5 }
        let litecoin = TrezorProto.GetAddress(addressN: try TrezorSim.path("m/44'/2'/0'/0/0"), coinName: "Litecoin")
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, litecoin))
        #expect(failure.code == .dataError)
        #expect(failure.message == "Invalid coin name")
        let taprootMessage = TrezorProto.SignMessage(addressN: try TrezorSim.path("m/86'/0'/0'/0/0"), message: [1], scriptType: .spendTaproot)
        #expect(try TrezorSim.failure(try TrezorSim.reply(device, taprootMessage)).code == .dataError)
    }

    @Test func verifyMessageChecksTheSignature() throws {
        let device = try TrezorSim.device { $0.model = .one }
        let text = Array("This is an example of a signed message.".utf8)
        let signed = try TrezorSim.call(device, try signMessage()).result.decode(TrezorProto.EthereumMessageSignature.self)
        let good = TrezorProto.EthereumVerifyMessage(signature: signed.signature, message: text, address: standardAddress)
        let verified = try TrezorSim.call(device, good)
        // Address, one message page, "The signature is valid."
        #expect(verified.buttons.count == 3)
        #expect(try verified.result.decode(TrezorProto.Success.self).message == "Message verified")
        let bad = TrezorProto.EthereumVerifyMessage(signature: signed.signature, message: text + [0x21], address: standardAddress)
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, bad))
        #expect(failure.code == .dataError)
        #expect(failure.message == "Invalid signature")

        let btc = try TrezorSim.call(device, TrezorProto.SignMessage(addressN: try TrezorSim.path("m/84'/0'/0'/0/0"), message: text,
                                                                      scriptType: .spendWitness))
        let signature = try btc.result.decode(TrezorProto.MessageSignature.self)
        #expect(signature.signature.first.map { (39...42).contains($0) } == true)
        let verify = TrezorProto.VerifyMessage(address: signature.address, signature: signature.signature, message: text)
        #expect(try TrezorSim.call(device, verify).result.messageType == .success)
        let tampered = TrezorProto.VerifyMessage(address: "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL", signature: signature.signature, message: text)
        #expect(try TrezorSim.failure(try TrezorSim.reply(device, tampered)).message == "Invalid signature")
    }
}
