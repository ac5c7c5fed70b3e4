import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// `LedgerDevice` composes the app operations: each test splices real recorded exchanges (the B0 01 app check, then
/// the operation) into one strict replay, so the device sends exactly what the real host libraries sent.
@Suite("LedgerDevice over recorded exchanges")
struct LedgerDeviceReplayTests {
    static let ethereum = Result { try TestVectors.json("ledger/recorded_eth_app_1_22_0.json") }
    static let bitcoin = Result { try TestVectors.json("ledger/recorded_btc_app_2_4_6.json") }

    static func entry(_ name: String, in file: Result<JSONValue, any Error>) throws -> JSONValue {
        let entries = try #require(try file.get().arrayValue)
        return try #require(entries.first { $0["name"]?.stringValue == name }, "no entry \(name)")
    }

    static func exchanges(_ names: [String], in file: Result<JSONValue, any Error>) throws -> [RecordedExchange] {
        try names.flatMap { name in
            try entry(name, in: file).array("exchanges").map {
                RecordedExchange(command: try $0.hex("command_hex"), response: try $0.hex("response_hex"))
            }
        }
    }

    static func device(_ replay: ReplayAPDUChannel) -> LedgerDevice {
        LedgerDevice(channel: replay, descriptor: DeviceDescriptor(id: "replay", family: .ledger, model: "nanox",
                                                                   transport: "replay", path: replay.name))
    }

    @Test func ethereumAddress() async throws {
        let replay = ReplayAPDUChannel(name: "eth address", exchanges: try Self.exchanges(
            ["eth_get_app_and_version", "eth_get_address_m44h_60h_0h_0_0"], in: Self.ethereum))
        let result = try await Self.device(replay).address(AddressRequest(path: DerivationPath(parsing: "m/44'/60'/0'/0/0")), .init())
        #expect(result.address == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
        let expected = try Self.entry("eth_get_address_m44h_60h_0h_0_0", in: Self.ethereum)["expected"]
        #expect(result.publicKey.uncompressed == (try #require(expected).hex("public_key")))
        #expect(replay.isFinished)
    }

    @Test func ethereumPersonalMessage() async throws {
        let entry = try Self.entry("eth_personal_sign_400_bytes_approved", in: Self.ethereum)
        let replay = ReplayAPDUChannel(name: "eth personal sign", exchanges: try Self.exchanges(
            ["eth_get_app_and_version", "eth_personal_sign_400_bytes_approved"], in: Self.ethereum))
        let message = try #require(entry["input"]).hex("message_hex")
        let result = try await Self.device(replay).signMessage(
            MessageSigningRequest(path: DerivationPath(parsing: "m/44'/60'/0'/0/0"), message: message), .init())
        guard case .ethereum(let signature, let address) = result else { Issue.record("not an Ethereum signature"); return }
        let expected = try #require(entry["expected"])
        #expect(Hex.encode(signature.r) == (try expected.string("r")))
        #expect(Hex.encode(signature.s) == (try expected.string("s")))
        #expect(Int(signature.v) == (try expected.int("v")))
        #expect(address.checksummed == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
        #expect(replay.isFinished)
    }

    @Test(arguments: [
        ("eth_sign_eip712_full_mail_approved", TypedDataSigningMode.full),
        ("eth_sign_eip712_hashed_mail_approved", .hashed),
    ])
    func ethereumTypedData(name: String, mode: TypedDataSigningMode) async throws {
        let entry = try Self.entry(name, in: Self.ethereum)
        let typedData = try TypedData(json: try #require(Self.entry("eth_sign_eip712_full_mail_approved", in: Self.ethereum)["input"]?["typed_data"]))
        let replay = ReplayAPDUChannel(name: name, exchanges: try Self.exchanges(["eth_get_app_and_version", name], in: Self.ethereum))
        let result = try await Self.device(replay).signTypedData(
            path: DerivationPath(parsing: "m/44'/60'/0'/0/0"), typedData: typedData, mode: mode, .init())
        let expected = try #require(entry["expected"])
        #expect(Hex.encode(result.signature.r) == (try expected.string("r")))
        #expect(Hex.encode(result.signature.s) == (try expected.string("s")))
        #expect(Hex.encode(result.digest) == "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")
        #expect(result.address.checksummed == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
        #expect(replay.isFinished)
    }

    @Test func refusalsKeepTheirCodes() async throws {
        let typedData = try TypedData(json: try #require(Self.entry("eth_sign_eip712_full_mail_approved", in: Self.ethereum)["input"]?["typed_data"]))
        let path = try DerivationPath(parsing: "m/44'/60'/0'/0/0")
        let cases: [(String, TypedDataSigningMode, ErrorCode)] = [
            ("eth_sign_eip712_full_mail_rejected", .full, .rejectedOnDevice),
            ("eth_sign_eip712_hashed_mail_blind_signing_disabled", .hashed, .deviceSettingsRefuse),
            ("eth_sign_eip712_full_mail_blind_signing_disabled", .full, .deviceSettingsRefuse),
        ]
        for (name, mode, code) in cases {
            let replay = ReplayAPDUChannel(name: name, exchanges: try Self.exchanges(["eth_get_app_and_version", name], in: Self.ethereum))
            do {
                _ = try await Self.device(replay).signTypedData(path: path, typedData: typedData, mode: mode, .init())
                Issue.record("\(name): signed although the recording refused")
            } catch {
                #expect(error.code == code, "\(name)")
            }
            #expect(replay.isFinished, "\(name)")
        }
    }

    @Test func bitcoinAddressAndMessage() async throws {
        // ledgerjs' order for a default-wallet address: account xpub, master fingerprint, then the wallet address.
        let replay = ReplayAPDUChannel(name: "btc address", exchanges: try Self.exchanges(
            ["btc_get_app_and_version", "btc_get_extended_pubkey_m84h_0h_0h", "btc_get_master_fingerprint",
             "btc_get_wallet_address_wpkh_default_index0"], in: Self.bitcoin))
        let address = try await Self.device(replay).address(
            AddressRequest(path: DerivationPath(parsing: "m/84'/0'/0'/0/0"), coin: .btc), .init())
        #expect(address.address == "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
        #expect(Hex.encode(address.publicKey.compressed) == "031869567d5e88d988ff7baf6827983f89530ddd79dbaeadaa6ec538a8f03dea8b")
        #expect(replay.isFinished)

        let signing = ReplayAPDUChannel(name: "btc sign", exchanges: try Self.exchanges(
            ["btc_get_app_and_version", "btc_sign_message_hello_world_m84h_0h_0h_0_0_approved"], in: Self.bitcoin))
        let result = try await Self.device(signing).signMessage(
            MessageSigningRequest(path: DerivationPath(parsing: "m/84'/0'/0'/0/0"), message: Array("hello world".utf8), coin: .btc), .init())
        guard case .bitcoin(let signature, let signer) = result else { Issue.record("not a Bitcoin signature"); return }
        #expect(signer == "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
        #expect(BitcoinMessage.verify(signature: signature, message: Array("hello world".utf8), address: signer))
        #expect(signing.isFinished)
    }

    @Test func extendedPublicKeyComesFromTheBitcoinApp() async throws {
        let replay = ReplayAPDUChannel(name: "xpub", exchanges: try Self.exchanges(
            ["btc_get_app_and_version", "btc_get_master_fingerprint", "btc_get_extended_pubkey_m84h_0h_0h"], in: Self.bitcoin))
        let result = try await Self.device(replay).extendedPublicKey(path: DerivationPath(parsing: "m/84'/0'/0'"), network: .main, .init())
        #expect(result.masterFingerprint == 0xF5ACC2FD)
        #expect(result.xpub.hasPrefix("xpub"))
        let expected = try #require(Self.entry("btc_get_extended_pubkey_m84h_0h_0h", in: Self.bitcoin)["expected"])
        #expect(result.xpub == (try expected.string("xpub")))
        #expect(replay.isFinished)
    }

    @Test func wrongAppWithoutADashboardRoundTripIsReported() async throws {
        // The Bitcoin app answers B0 01; asking it for an Ethereum address makes the device quit it first (B0 A7),
        // which this replay does not have: the strict replay names the unexpected command.
        let replay = ReplayAPDUChannel(name: "wrong app", exchanges: try Self.exchanges(["btc_get_app_and_version"], in: Self.bitcoin))
        await #expect(throws: DeviceError.self) {
            _ = try await Self.device(replay).address(AddressRequest(path: DerivationPath(parsing: "m/44'/60'/0'/0/0")), .init())
        }
    }
}
