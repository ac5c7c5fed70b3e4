import BridgeCore
import BridgeCrypto
import BridgeDevices
import Foundation
import Synchronization
import Testing

/// A minimal core-firmware Trezor for host tests: Features, the session's root-fingerprint request, addresses and
/// public keys from the "all all" seed, and the EIP-712 full flow (struct and value requests in the firmware's order),
/// each answer as trezor-firmware core builds it. The simulator proper is BridgeSimulator's `SimulatedTrezor`.
final class FakeCoreTrezor: Sendable {
    struct Options: Sendable {
        var vendor = "trezor.io"
        var wrongEthereumKey = false
        var lowercaseAddress = false
    }

    let options: Options
    let master: ExtendedKey
    /// Everything the host answered in the EIP-712 flow, in order.
    let typedDataAnswers = Mutex<[TrezorWireMessage]>([])
    private let pending = Mutex<[TrezorWireMessage]>([])
    private let typedData = Mutex<TypedData?>(nil)
    private let signingPath = Mutex<[UInt32]>([])

    init(options: Options = Options()) throws {
        self.options = options
        master = try ExtendedKey.master(seed: try Mnemonic(phrase: "all all all all all all all all all all all all").seed())
    }

    var features: TrezorProto.Features {
        TrezorProto.Features(vendor: options.vendor, majorVersion: 2, minorVersion: 8, patchVersion: 1, deviceID: "FAKE",
                             passphraseProtection: false, initialized: true, unlocked: true, model: "Safe 5",
                             capabilities: [.bitcoin, .ethereum, .passphraseEntry], internalModel: "T3T1")
    }

    func node(_ path: [UInt32]) throws -> TrezorProto.HDNodeType {
        let key = try master.derived(DerivationPath(indexes: path))
        return TrezorProto.HDNodeType(depth: UInt32(key.depth), fingerprint: key.parentFingerprint, childNum: key.childNumber,
                                      chainCode: key.chainCode, publicKey: key.publicKey.compressed)
    }

    /// The device side: one host message in, the device's answers out. The typed-data document is what the test hands
    /// over (a real device rebuilds it from the answers; here the answers are only recorded and checked by the test).
    func respond(_ message: TrezorWireMessage, document: TypedData?) -> [TrezorWireMessage] {
        do {
            return try answer(message, document: document)
        } catch {
            return [TrezorWireMessage(TrezorProto.Failure(code: .dataError, message: "\(error)"))]
        }
    }

    private func answer(_ message: TrezorWireMessage, document: TypedData?) throws -> [TrezorWireMessage] {
        switch message.messageType {
        case .initialize:
            var reply = features
            reply.sessionID = [UInt8](repeating: 0xAB, count: 32)
            return [TrezorWireMessage(reply)]
        case .getFeatures:
            return [TrezorWireMessage(features)]
        case .getPublicKey:
            let request = try message.decode(TrezorProto.GetPublicKey.self)
            let key = try master.derived(DerivationPath(indexes: request.addressN))
            return [TrezorWireMessage(TrezorProto.PublicKey(node: try node(request.addressN), xpub: key.xpub(network: .main),
                                                            rootFingerprint: master.fingerprint))]
        case .ethereumGetAddress:
            let request = try message.decode(TrezorProto.EthereumGetAddress.self)
            let text = EthereumAddress(publicKey: try master.derived(DerivationPath(indexes: request.addressN)).publicKey).checksummed
            return [TrezorWireMessage(TrezorProto.EthereumAddress(address: options.lowercaseAddress ? text.lowercased() : text))]
        case .ethereumGetPublicKey:
            var path = try message.decode(TrezorProto.EthereumGetPublicKey.self).addressN
            if options.wrongEthereumKey { path[path.count - 1] += 1 }
            let key = try master.derived(DerivationPath(indexes: path))
            return [TrezorWireMessage(TrezorProto.EthereumPublicKey(node: try node(path), xpub: key.xpub(network: .main)))]
        case .getAddress:
            let request = try message.decode(TrezorProto.GetAddress.self)
            let key = try master.derived(DerivationPath(indexes: request.addressN)).publicKey
            let script: BitcoinScriptType = request.scriptType == .spendWitness ? .p2wpkh
                : request.scriptType == .spendP2SHWitness ? .p2shP2wpkh : .p2pkh
            return [TrezorWireMessage(TrezorProto.Address(address: BitcoinAddress.address(for: key, script: script)))]
        case .ethereumSignTypedData:
            let request = try message.decode(TrezorProto.EthereumSignTypedData.self)
            signingPath.withLock { $0 = request.addressN }
            typedData.withLock { $0 = document }
            // The firmware asks for the domain's struct, then the primary type's, then each struct it meets.
            var queue: [TrezorWireMessage] = ["Mail", "Person"].map { TrezorWireMessage(TrezorProto.EthereumTypedDataStructRequest(name: $0)) }
            for path: [UInt32] in [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 2]] {
                queue.append(TrezorWireMessage(TrezorProto.EthereumTypedDataValueRequest(memberPath: path)))
            }
            pending.withLock { $0 = queue }
            return [TrezorWireMessage(TrezorProto.EthereumTypedDataStructRequest(name: "EIP712Domain"))]
        case .ethereumTypedDataStructAck, .ethereumTypedDataValueAck:
            typedDataAnswers.withLock { $0.append(message) }
            if let next = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return [next] }
            return [TrezorWireMessage(TrezorProto.ButtonRequest(code: .other, name: "confirm_typed_data"))]
        case .buttonAck:
            let document = try #require(typedData.withLock { $0 })
            let key = try #require(try master.derived(DerivationPath(indexes: signingPath.withLock { $0 })).privateKey)
            let signature = try EthereumSignature.sign(digest: try document.hashes().digest, with: key)
            return [TrezorWireMessage(TrezorProto.EthereumTypedDataSignature(
                signature: signature.bytes, address: EthereumAddress(publicKey: key.publicKey).checksummed))]
        default:
            return [TrezorWireMessage(TrezorProto.Failure(code: .unexpectedMessage, message: "Unexpected message"))]
        }
    }
}

@Suite("Trezor device")
struct TrezorDeviceTests {
    static let options = OperationOptions(timeout: .seconds(5))

    static func device(_ fake: FakeCoreTrezor, document: TypedData? = nil) -> (TrezorDevice, ScriptedTrezorLink) {
        let link = ScriptedTrezorLink { fake.respond($0, document: document) }
        return (TrezorDevice(link: link, descriptor: TrezorTest.descriptor()), link)
    }

    @Test func thpDeviceIsReportedAsSuch() async throws {
        // Every v1 message is answered with the constant Failure(InvalidProtocol) packet 3f2323 0003 00000002 0811.
        let link = ScriptedTrezorLink { _ in [TrezorWireMessage(type: 3, payload: [0x08, 0x11])] }
        let device = TrezorDevice(link: link, descriptor: TrezorTest.descriptor())
        do {
            _ = try await device.features(Self.options)
            Issue.record("a THP device was accepted")
        } catch {
            #expect(error == .thpNotSupported)
            #expect(error.code.rawValue == -16)
        }
        do {
            _ = try await device.address(AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")), Self.options)
            Issue.record("a THP device was accepted")
        } catch {
            #expect(error.code == .thpNotSupported)
        }
    }

    @Test func secondConcurrentOperationIsBusy() async throws {
        let link = ScriptedTrezorLink(holding: true) { message in
            [TrezorWireMessage(TrezorProto.Success(message: (try? message.decode(TrezorProto.Ping.self).message) ?? nil))]
        }
        let device = TrezorDevice(link: link, descriptor: TrezorTest.descriptor())
        let first = Task { try await device.ping("first", Self.options) }
        // Wait until the first operation holds the device (its Ping is on the wire, unanswered).
        for _ in 0..<5000 where link.received.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        #expect(link.received.count == 1)
        do {
            _ = try await device.features(Self.options)
            Issue.record("a second operation ran concurrently")
        } catch {
            #expect(error.code.rawValue == -4)
        }
        link.release()
        #expect(try await first.value == "first")
        #expect(link.received.count == 1)  // the busy call sent nothing
    }

    @Test func fullTypedDataFlowAnswersAsTrezorlib() async throws {
        let fake = try FakeCoreTrezor()
        let typedData = try TypedData(jsonText: TrezorReplayTests.mailJSON)
        let (device, link) = Self.device(fake, document: typedData)
        let progress = ProgressLog()
        let result = try await device.signTypedData(path: TrezorTest.path("m/44'/60'/0'/0/0"), typedData: typedData, mode: .full,
                                                    OperationOptions(timeout: .seconds(5), progress: progress.append))
        // The basic_data fixture's signature (ethereum/sign_typed_data.json), RFC 6979 being deterministic.
        #expect(result.signature.hex
            == "0x2c2d8c7c1facf5bdcd997b5435bb42f3f4170a111ce079c94b5d1e34414f76560c4600d2167568e052ab846555bd590de93bb230987766c636613262eaeb8bdc1c")
        #expect(result.address.checksummed == TrezorTest.ethAddress)
        #expect(device.descriptor.model == "safe5")
        #expect(progress.lines == ["Review each field, then confirm on your Trezor...", "Confirm on your Trezor..."])

        let sent = link.received.map(\.type)
        #expect(sent == [0, 11, 55, 464, 466, 466, 466, 468, 468, 468, 468, 468, 468, 468, 468, 468, 27])
        #expect(try link.received[3].decode(TrezorProto.EthereumSignTypedData.self)
            == TrezorProto.EthereumSignTypedData(addressN: TrezorTest.path("m/44'/60'/0'/0/0").indexes, primaryType: "Mail",
                                                 metamaskV4Compat: true))
        let answers = fake.typedDataAnswers.withLock { $0 }
        let domain = try answers[0].decode(TrezorProto.EthereumTypedDataStructAck.self)
        #expect(domain.members == [
            .init(type: .init(dataType: .string), name: "name"), .init(type: .init(dataType: .string), name: "version"),
            .init(type: .init(dataType: .uint, size: 32), name: "chainId"), .init(type: .init(dataType: .address), name: "verifyingContract"),
        ])
        let mail = try answers[1].decode(TrezorProto.EthereumTypedDataStructAck.self)
        #expect(mail.members == [
            .init(type: .init(dataType: .struct, size: 2, structName: "Person"), name: "from"),
            .init(type: .init(dataType: .struct, size: 2, structName: "Person"), name: "to"),
            .init(type: .init(dataType: .string), name: "contents"),
        ])
        let values = try answers[3...].map { Hex.encode(try $0.decode(TrezorProto.EthereumTypedDataValueAck.self).value) }
        #expect(values == [
            Hex.encode(Array("Ether Mail".utf8)), Hex.encode(Array("1".utf8)), String(repeating: "0", count: 62) + "01",
            "1e0ae8205e9726e6f296ab8869160a6423e2337e", Hex.encode(Array("Cow".utf8)), "c0004b62c5a39a728e4af5bee0c6b4a4e54b15ad",
            Hex.encode(Array("Bob".utf8)), "54b0fa66a065748c40dca2c7fe125a2028cf9982", Hex.encode(Array("Hello, Bob!".utf8)),
        ])
    }

    @Test func addressesAreCheckedAgainstTheDevicesKeys() async throws {
        let (device, link) = Self.device(try FakeCoreTrezor())
        let eth = try await device.address(AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")), Self.options)
        #expect(eth.address == TrezorTest.ethAddress)
        #expect(EthereumAddress(publicKey: eth.publicKey).checksummed == TrezorTest.ethAddress)
        let btc = try await device.address(AddressRequest(path: TrezorTest.path("m/84'/0'/0'/0/0"), coin: .btc), Self.options)
        #expect(btc.address == "bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk")
        // The first operation opened the session, the second resumed it with its id.
        let sent = link.received
        #expect(sent.map(\.type) == [0, 11, 55, 56, 450, 0, 29, 11])
        #expect(try sent[5].decode(TrezorProto.Initialize.self) == TrezorProto.Initialize(sessionID: [UInt8](repeating: 0xAB, count: 32)))
        #expect(try sent[7].decode(TrezorProto.GetPublicKey.self).scriptType == .spendWitness)
        #expect(device.masterFingerprint == 0x5C9E_228D)

        var wrongKey = FakeCoreTrezor.Options()
        wrongKey.wrongEthereumKey = true
        let (lying, _) = Self.device(try FakeCoreTrezor(options: wrongKey))
        await #expect(throws: DeviceError.self) {
            _ = try await lying.address(AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")), Self.options)
        }
        var lowercase = FakeCoreTrezor.Options()
        lowercase.lowercaseAddress = true
        let (sloppy, _) = Self.device(try FakeCoreTrezor(options: lowercase))
        do {
            _ = try await sloppy.address(AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")), Self.options)
            Issue.record("an address without EIP-55 checksum was accepted")
        } catch {
            #expect(error.code == .protocolError)
        }
    }

    @Test func appInfoAndCapabilitiesFromFeatures() async throws {
        let (device, link) = Self.device(try FakeCoreTrezor())
        #expect(try await device.appInfo(Self.options) == AppInfo(name: "Trezor Safe 5", version: "2.8.1"))
        #expect(try await device.capabilities(Self.options)
            == DeviceCapabilities(coins: [.eth, .btc], fullTypedData: true, hashedTypedData: false))
        // GetFeatures only: no session, no prompt.
        #expect(link.received.map(\.type) == [55, 55])
    }

    @Test func aDeviceThatIsNotATrezorIsRefused() async throws {
        var options = FakeCoreTrezor.Options()
        options.vendor = "evil.example"
        let (device, _) = Self.device(try FakeCoreTrezor(options: options))
        do {
            _ = try await device.features(Self.options)
            Issue.record("vendor evil.example was accepted")
        } catch {
            #expect(error.code == .protocolError)
            #expect(error.message.contains("evil.example"))
        }
    }

    @Test func modelNames() {
        func features(model: String?, internalName: String?) -> TrezorProto.Features {
            TrezorProto.Features(majorVersion: 2, minorVersion: 0, patchVersion: 0, model: model, internalModel: internalName)
        }
        let cases: [(String?, String?, String, String)] = [
            ("1", nil, "one", "Trezor One"), ("T", "T2T1", "t", "Trezor Model T"), ("Safe 3", "T2B1", "safe3", "Trezor Safe 3"),
            ("Safe 3", "T3B1", "safe3", "Trezor Safe 3"), ("Safe 5", "T3T1", "safe5", "Trezor Safe 5"),
            ("Safe 7", "T3W1", "safe7", "Trezor Safe 7"), (nil, "T3T1", "safe5", "Trezor Safe 5"), ("T", nil, "t", "Trezor Model T"),
        ]
        for (model, internalName, identifier, product) in cases {
            let value = features(model: model, internalName: internalName)
            #expect(value.modelIdentifier == identifier, "\(String(describing: model)) \(String(describing: internalName))")
            #expect(value.productName == product)
        }
    }
}
