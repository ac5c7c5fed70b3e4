import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Foundation
import TestVectors
import Testing

/// trezor-firmware's own test fixtures (../shared/vectors/trezor/ethereum/*.json, bitcoin/*.json) through the
/// bridge's host client: ``TrezorDevice`` over ``SimulatedTrezorLink`` to a simulator holding the fixture's seed,
/// asserting the fixture's exact results. Cases of coins the simulator does not model (marked "altcoin" upstream:
/// Litecoin, Bcash, Groestlcoin, Decred, Elements, Crown) are outside the simulator's scope: each test filters them
/// out by name and asserts how many cases it did check, so a fixture that loses its modeled cases fails.
@Suite("Trezor fixtures through TrezorDevice and the simulator")
struct TrezorFixtureTests {
    static let options = OperationOptions(timeout: .seconds(30))
    static let modeledCoins = ["Bitcoin": BitcoinNetwork.main, "Testnet": .test]

    static func fixture(_ name: String) throws -> JSONValue { try TestVectors.json("trezor/\(name)") }

    static func cases(_ name: String) throws -> [JSONValue] { try fixture(name).array("tests") }

    /// A TrezorDevice over the in-process link to a simulator with the fixture's seed.
    static func wallet(_ fixture: String, model: SimulatedTrezor.Model = .safe5) throws -> TrezorDevice {
        let setup = try #require(try Self.fixture(fixture)["setup"])
        let mnemonic = try setup.string("mnemonic")
        let passphrase = try setup.string("passphrase")
        let simulator = try TrezorSim.device {
            $0.model = model
            $0.mnemonic = mnemonic
            // An empty setup passphrase with protection off is the standard wallet the fixtures were made with.
            $0.passphrase = passphrase.isEmpty ? nil : passphrase
        }
        let descriptor = DeviceDescriptor(id: "sim-\(model.rawValue)", family: .trezor, model: model.rawValue, transport: "sim",
                                          path: "sim:trezor")
        return TrezorDevice(link: SimulatedTrezorLink(device: simulator), descriptor: descriptor)
    }

    static func path(_ parameters: JSONValue) throws -> DerivationPath { try DerivationPath(parsing: try parameters.string("path")) }

    // MARK: - Ethereum

    @Test func ethereumGetAddress() async throws {
        let wallet = try Self.wallet("ethereum/getaddress.json")
        let cases = try Self.cases("ethereum/getaddress.json")
        for test in cases {
            let parameters = try #require(test["parameters"])
            let result = try await wallet.address(AddressRequest(path: try Self.path(parameters), coin: .eth), Self.options)
            #expect(result.address == (try #require(test["result"]).string("address")))
        }
        #expect(cases.count == 6)
    }

    @Test func ethereumGetPublicKey() async throws {
        // This fixture's own seed ("alcohol woman ..."), not "all all".
        let wallet = try Self.wallet("ethereum/getpublickey.json", model: .one)
        for test in try Self.cases("ethereum/getpublickey.json") {
            let parameters = try #require(test["parameters"])
            let expected = try #require(test["result"])
            let request = TrezorProto.EthereumGetPublicKey(addressN: try Self.path(parameters).indexes, showDisplay: false)
            let reply = try await wallet.call(request, expecting: TrezorProto.EthereumPublicKey.self, Self.options)
            #expect(reply.xpub == (try expected.string("xpub")))
            #expect(Int(reply.node.fingerprint) == (try expected.int("fingerprint")))
            #expect(Int(reply.node.childNum) == (try expected.int("child_num")))
            #expect(Hex.encode(reply.node.chainCode) == (try expected.string("chain_code")))
            #expect(Hex.encode(reply.node.publicKey) == (try expected.string("public_key")))
            // The bridge's own address() reports the same key.
            let address = try await wallet.address(AddressRequest(path: try Self.path(parameters), coin: .eth), Self.options)
            #expect(Hex.encode(address.publicKey.compressed) == (try expected.string("public_key")))
        }
    }

    @Test(arguments: SimulatedTrezor.Model.allCases)
    func ethereumSignMessage(model: SimulatedTrezor.Model) async throws {
        let wallet = try Self.wallet("ethereum/signmessage.json", model: model)
        for test in try Self.cases("ethereum/signmessage.json") {
            let parameters = try #require(test["parameters"])
            let expected = try #require(test["result"])
            let request = MessageSigningRequest(path: try Self.path(parameters), message: Array(try parameters.string("msg").utf8), coin: .eth)
            guard case .ethereum(let signature, let address) = try await wallet.signMessage(request, Self.options) else {
                Issue.record("not an Ethereum signature")
                continue
            }
            #expect(Hex.encode(signature.bytes) == (try expected.string("sig")))
            #expect(address.checksummed == (try expected.string("address")))
        }
    }

    @Test func ethereumVerifyMessage() async throws {
        let wallet = try Self.wallet("ethereum/verifymessage.json", model: .one)
        for test in try Self.cases("ethereum/verifymessage.json") {
            let parameters = try #require(test["parameters"])
            let signature = try #require(Hex.decode(try parameters.string("sig")))
            let message = Array(try parameters.string("msg").utf8)
            let request = TrezorProto.EthereumVerifyMessage(signature: signature, message: message,
                                                            address: try parameters.string("address"), chunkify: false)
            // The fixture's empty result is Success.
            let success = try await wallet.call(request, expecting: TrezorProto.Success.self, Self.options)
            #expect(success.message == "Message verified")
            // One changed byte of the message and the device refuses.
            let tampered = TrezorProto.EthereumVerifyMessage(signature: signature, message: message + [0x2E],
                                                             address: try parameters.string("address"))
            await #expect(throws: DeviceError.self) {
                _ = try await wallet.call(tampered, expecting: TrezorProto.Success.self, Self.options)
            }
        }
    }

    /// Both modes: the hash pair on a Trezor One (EthereumSignTypedHash), the full struct/value flow on a Safe 5.
    @Test(arguments: [TypedDataSigningMode.hashed, .full])
    func ethereumSignTypedData(mode: TypedDataSigningMode) async throws {
        let wallet = try Self.wallet("ethereum/sign_typed_data.json", model: mode == .hashed ? .one : .safe5)
        var signed = 0
        for test in try Self.cases("ethereum/sign_typed_data.json") {
            let name = try test.string("name")
            let parameters = try #require(test["parameters"])
            guard parameters["metamask_v4_compat"]?.boolValue ?? true else {
                // The bridge signs eth_signTypedData_v4 only; upstream's non-v4 struct-array encoding has other hashes.
                continue
            }
            let typedData = try TypedData(json: try #require(parameters["data"]))
            let hashes = try typedData.hashes()
            // The fixture's hash pair is what EthereumSignTypedHash takes; an empty message_hash means domain-only.
            #expect(hashes.domainHash == Hex.decode(try parameters.string("domain_separator_hash")), "\(name)")
            #expect(hashes.messageHash ?? [] == Hex.decode(parameters["message_hash"]?.stringValue ?? ""), "\(name)")
            let result = try await wallet.signTypedData(path: try Self.path(parameters), typedData: typedData, mode: mode, Self.options)
            let expected = try #require(test["result"])
            #expect(result.signature.hex == (try expected.string("sig")), "\(name) \(mode)")
            #expect(result.address.checksummed == (try expected.string("address")), "\(name)")
            signed += 1
        }
        #expect(signed == 9)
    }

    // MARK: - Bitcoin

    @Test func bitcoinGetPublicKey() async throws {
        let wallet = try Self.wallet("bitcoin/getpublickey.json", model: .one)
        var checked = 0
        for test in try Self.cases("bitcoin/getpublickey.json") {
            let parameters = try #require(test["parameters"])
            let expected = try #require(test["result"])
            guard let network = Self.modeledCoins[try parameters.string("coin_name")] else {
                continue  // an altcoin: not modeled
            }
            let path = try Self.path(parameters)
            if test["name"]?.stringValue == "script_type" {
                // SLIP-132 magic per script type, and the plain xpub with ignore_xpub_magic.
                let scriptName = try parameters.string("script_type")
                let scriptType = scriptName == "(unset)" ? nil : try Self.inputScriptType(scriptName)
                for ignore in [false, true] {
                    let request = TrezorProto.GetPublicKey(addressN: path.indexes, showDisplay: false, coinName: "Bitcoin",
                                                           scriptType: scriptType, ignoreXpubMagic: ignore)
                    let reply = try await wallet.call(request, expecting: TrezorProto.PublicKey.self, Self.options)
                    #expect(reply.xpub == (try expected.string(ignore ? "xpub_with_ignore_xpub_magic" : "xpub")), "\(scriptName)")
                }
            } else {
                let result = try await wallet.extendedPublicKey(path: path, network: network, Self.options)
                #expect(result.xpub == (try expected.string("xpub")), "\(path)")
                #expect(result.masterFingerprint == 0x5C9E_228D)
            }
            checked += 1
        }
        #expect(checked == 11)
    }

    @Test func bitcoinGetAddress() async throws {
        let wallet = try Self.wallet("bitcoin/getaddress.json", model: .safe5)
        var checked = 0
        for test in try Self.cases("bitcoin/getaddress.json") {
            let parameters = try #require(test["parameters"])
            let expected = try test["result"].map { try $0.string("address") }
            guard let network = Self.modeledCoins[try parameters.string("coin_name")] else {
                continue  // an altcoin: not modeled
            }
            let path = try Self.path(parameters)
            let display = parameters["show_display"]?.boolValue ?? false
            let address: String
            switch try parameters.string("script_type") {
            case "SPENDTAPROOT":
                // BitcoinScriptType has no taproot case: GetAddress through the device's call API.
                let request = TrezorProto.GetAddress(addressN: path.indexes, coinName: try parameters.string("coin_name"),
                                                     showDisplay: display, scriptType: .spendTaproot, ignoreXpubMagic: false,
                                                     chunkify: false)
                address = try await wallet.call(request, expecting: TrezorProto.Address.self, Self.options).address
            case let name:
                let script = try Self.bitcoinScript(name)
                address = try await wallet.address(
                    AddressRequest(path: path, coin: .btc, script: script, network: network, display: display), Self.options).address
            }
            #expect(address == expected, "\(path)")
            checked += 1
        }
        #expect(checked == 18)
    }

    @Test func bitcoinSignMessage() async throws {
        let wallet = try Self.wallet("bitcoin/signmessage.json", model: .safe5)
        var checked = 0
        for test in try Self.cases("bitcoin/signmessage.json") {
            let parameters = try #require(test["parameters"])
            let expected = try #require(test["result"])
            guard let network = Self.modeledCoins[try parameters.string("coin_name")] else {
                continue  // an altcoin: not modeled
            }
            // trezorlib sends str messages NFC-normalized (tools.py prepare_message_bytes), raw bytes unchanged.
            let message: [UInt8] = if let hex = parameters["message_hex"]?.stringValue {
                try #require(Hex.decode(hex))
            } else {
                Array(try parameters.string("message").precomposedStringWithCanonicalMapping.utf8)
            }
            let path = try Self.path(parameters)
            let script = try Self.bitcoinScript(try parameters.string("script_type"))
            let signature: [UInt8]
            let address: String
            if parameters["no_script_type"]?.boolValue == true {
                let request = TrezorProto.SignMessage(addressN: path.indexes, message: message, coinName: try parameters.string("coin_name"),
                                                      scriptType: try Self.inputScriptType(try parameters.string("script_type")),
                                                      noScriptType: true, chunkify: false)
                let reply = try await wallet.call(request, expecting: TrezorProto.MessageSignature.self, Self.options)
                (signature, address) = (reply.signature, reply.address)
            } else {
                let request = MessageSigningRequest(path: path, message: message, coin: .btc, script: script, network: network)
                guard case .bitcoin(let bytes, let signer) = try await wallet.signMessage(request, Self.options) else {
                    Issue.record("not a Bitcoin signature")
                    continue
                }
                (signature, address) = (bytes, signer)
            }
            #expect(Hex.encode(signature) == (try expected.string("signature")), "\(test["name"]?.stringValue ?? "")")
            #expect(address == (try expected.string("address")))
            checked += 1
        }
        #expect(checked == 15)
    }

    static func bitcoinScript(_ name: String) throws -> BitcoinScriptType {
        switch name {
        case "SPENDADDRESS": return .p2pkh
        case "SPENDP2SHWITNESS": return .p2shP2wpkh
        case "SPENDWITNESS": return .p2wpkh
        default: throw FixtureValue(name)
        }
    }

    static func inputScriptType(_ name: String) throws -> TrezorProto.InputScriptType {
        switch name {
        case "SPENDADDRESS": return .spendAddress
        case "SPENDP2SHWITNESS": return .spendP2SHWitness
        case "SPENDWITNESS": return .spendWitness
        case "SPENDTAPROOT": return .spendTaproot
        default: throw FixtureValue(name)
        }
    }

    struct FixtureValue: Error {
        let value: String
        init(_ value: String) { self.value = value }
    }
}
