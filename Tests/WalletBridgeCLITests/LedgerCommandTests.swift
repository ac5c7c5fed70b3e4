import BridgeCore
import BridgeCrypto
import Foundation
import Testing
import TestVectors
@testable import WalletBridgeCLI

/// Every device command through the in-process simulated Ledger (`--transport sim:ledger`), checked against the
/// Speculos-seed known answers and the replies recorded from the real apps (../shared/vectors/ledger).
@Suite("Device commands on the simulated Ledger")
struct LedgerCommandTests {
    typealias Support = DeviceTestSupport

    func run(_ arguments: [String], stdin: [UInt8] = []) async -> CLIRun {
        await runCLI(arguments + Support.simulated, stdin: stdin)
    }

    // MARK: address

    @Test("address --coin eth: the Speculos-seed accounts, EIP-55, compressed public key")
    func ethereumAddresses() async throws {
        let accounts = try TestVectors.json("ledger/speculos_seed_known_answers.json")["ethereum"]?.array("accounts") ?? []
        #expect(accounts.count == 4)
        for account in accounts {
            let path = try account.string("path")
            let result = await run(["address", "--path", path])
            #expect(result.exitCode == 0, "\(path): \(result.stdout)")
            let json = try result.json()
            #expect(json.objectValue?.keys == ["address", "path", "publicKey"])
            #expect(json["address"]?.stringValue == (try account.string("address")), "\(path)")
            #expect(json["path"]?.stringValue == path)
            #expect(json["publicKey"]?.stringValue == (try Support.compressedHex(ofUncompressed: try account.string("publicKey_uncompressed"))))
            #expect(!result.stderr.lowercased().contains("confirm"), "no prompt without --display")
        }
    }

    @Test("address --display asks the user to compare, and a rejection is code -7")
    func displayedAddress() async throws {
        let shown = await run(["address", "--path", Support.ethPath, "--display"])
        #expect(shown.exitCode == 0, "\(shown.stdout)")
        #expect(try shown.json()["address"]?.stringValue == Support.speculosEthAddress)
        #expect(shown.stderr.lowercased().contains("compare the address"))

        let rejected = await run(["address", "--path", Support.ethPath, "--display", "--sim-approve", "deny"])
        #expect(rejected.exitCode == 1)
        #expect(rejected.errorCode == -7, "\(rejected.stdout)")
    }

    @Test("address --coin btc: mainnet p2wpkh from the recorded Bitcoin app, script from the path's purpose")
    func bitcoinMainnetAddress() async throws {
        let recorded = try Support.recorded("recorded_btc_app_2_4_6.json", "btc_get_wallet_address_wpkh_default_index0")
        let expected = try #require(recorded["expected"])
        for extra in [[], ["--script", "p2wpkh"]] {
            let result = await run(["address", "--coin", "btc", "--path", "m/84'/0'/0'/0/0", "--sim-app", "bitcoin"] + extra)
            #expect(result.exitCode == 0, "\(result.stdout)")
            #expect(try result.json()["address"]?.stringValue == (try expected.string("address")))
        }
    }

    @Test("address --coin btc --network test: app-bitcoin-new's default-wallet addresses")
    func bitcoinTestnetAddresses() async throws {
        let vectors = try TestVectors.json("ledger/speculos_seed_known_answers.json")["bitcoin"]?["wallet_addresses"]?.array("vectors") ?? []
        let scripts = ["pkh(@0/**)": "p2pkh", "wpkh(@0/**)": "p2wpkh", "sh(wpkh(@0/**))": "p2sh-p2wpkh"]
        var checked = 0
        for vector in vectors {
            // Taproot (tr) is beyond the contract's script types.
            guard let script = scripts[try vector.string("descriptor_template")] else { continue }
            let key = try vector.string("key")
            // "[f5acc2fd/84'/1'/0']tpub..." -> m/84'/1'/0'/change/index
            let origin = try #require(key.split(separator: "]").first?.split(separator: "/").dropFirst().joined(separator: "/"))
            let path = "m/\(origin)/\(try vector.int("change"))/\(try vector.int("index"))"
            let result = await run(["address", "--coin", "btc", "--network", "test", "--script", script, "--path", path,
                                    "--sim-app", "bitcoin-test"])
            #expect(result.exitCode == 0, "\(path): \(result.stdout)")
            #expect(try result.json()["address"]?.stringValue == (try vector.string("address")), "\(path) \(script)")
            checked += 1
        }
        #expect(checked == 6)
    }

    // MARK: xpub

    @Test("xpub: mainnet by default, the master fingerprint f5acc2fd, key and chain code from the xpub")
    func mainnetExtendedPublicKeys() async throws {
        for name in ["btc_get_extended_pubkey_m84h_0h_0h", "btc_get_extended_pubkey_m44h_0h_0h"] {
            let recorded = try Support.recorded("recorded_btc_app_2_4_6.json", name)
            let path = try #require(recorded["input"]).string("path")
            let xpub = try #require(recorded["expected"]).string("xpub")
            let result = await run(["xpub", "--path", path, "--sim-app", "bitcoin"])
            #expect(result.exitCode == 0, "\(result.stdout)")
            let json = try result.json()
            #expect(json.objectValue?.keys == ["xpub", "publicKey", "chainCode", "fingerprint"])
            #expect(json["xpub"]?.stringValue == xpub, "\(path)")
            #expect(json["fingerprint"]?.stringValue == "f5acc2fd")
            let parsed = try ExtendedKey(parsing: xpub)
            #expect(json["publicKey"]?.stringValue == Hex.encodePrefixed(parsed.publicKey.compressed))
            #expect(json["chainCode"]?.stringValue == Hex.encodePrefixed(parsed.chainCode))
        }
    }

    @Test("xpub --network test: app-bitcoin-new's tpubs")
    func testnetExtendedPublicKeys() async throws {
        let vectors = try TestVectors.json("ledger/speculos_seed_known_answers.json")["bitcoin"]?["xpubs"]?.array("vectors") ?? []
        #expect(vectors.count == 13)
        for vector in vectors.prefix(4) + vectors.suffix(3) {
            let path = try vector.string("path")
            let result = await run(["xpub", "--path", path, "--network", "test", "--sim-app", "bitcoin-test"])
            #expect(result.exitCode == 0, "\(path): \(result.stdout)")
            #expect(try result.json()["xpub"]?.stringValue == (try vector.string("xpub")), "\(path)")
        }
    }

    // MARK: sign-message

    @Test("sign-message --coin eth: the recorded signature, which recovers to the device's address")
    func ethereumMessage() async throws {
        let recorded = try Support.recorded("recorded_eth_app_1_22_0.json", "eth_personal_sign_short_approved")
        let message = try #require(recorded["input"]).string("message_ascii")
        let expected = try #require(recorded["expected"])
        let signatureHex = "0x" + (try expected.string("signature_rsv_hex"))

        for form in [["--message", message], ["--message-hex", Hex.encodePrefixed(Array(message.utf8))]] {
            let result = await run(["sign-message", "--path", Support.ethPath] + form)
            #expect(result.exitCode == 0, "\(result.stdout)")
            let json = try result.json()
            #expect(json.objectValue?.keys == ["signature", "address"])
            #expect(json["signature"]?.stringValue == signatureHex)
            #expect(json["address"]?.stringValue == Support.speculosEthAddress)
            let signature = try EthereumSignature(hex: try json.string("signature"))
            #expect(signature.v == 28)
            let signer = try PersonalMessage.recoverSigner(message: Array(message.utf8), signature: signature)
            #expect(signer.checksummed == Support.speculosEthAddress)
            #expect(result.stderr.lowercased().contains("confirm on your ledger..."))
        }
    }

    @Test("sign-message --coin btc: base64 BIP-137 exactly as recorded, verified with BitcoinMessage")
    func bitcoinMessage() async throws {
        let recorded = try Support.recorded("recorded_btc_app_2_4_6.json", "btc_sign_message_hello_world_m84h_0h_0h_0_0_approved")
        let expected = try #require(recorded["expected"])
        let result = await run(["sign-message", "--coin", "btc", "--path", "m/84'/0'/0'/0/0", "--message", "hello world",
                                "--sim-app", "bitcoin"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let json = try result.json()
        #expect(json["signature"]?.stringValue == (try expected.string("signature_base64")))
        let address = try json.string("address")
        #expect(address == "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
        let signature = try #require(Data(base64Encoded: try json.string("signature")))
        #expect(BitcoinMessage.verify(signature: [UInt8](signature), message: Array("hello world".utf8), address: address))
        #expect(!BitcoinMessage.verify(signature: [UInt8](signature), message: Array("hello worle".utf8), address: address))
        #expect(result.stderr.lowercased().contains("confirm on your ledger..."))
    }

    @Test("sign-message --coin btc --network test: app-bitcoin-new's signature of \"Hello world!\"")
    func bitcoinTestnetMessage() async throws {
        let vectors = try TestVectors.json("ledger/speculos_seed_known_answers.json")["bitcoin"]?["sign_message"]?.array("vectors") ?? []
        let vector = try #require(vectors.first { $0["message"] == "Hello world!" })
        let result = await run(["sign-message", "--coin", "btc", "--network", "test", "--path", try vector.string("path"),
                                "--message", "Hello world!", "--sim-app", "bitcoin-test"])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let json = try result.json()
        #expect(json["signature"]?.stringValue == (try vector.string("signature_base64")))
        let signature = try #require(Data(base64Encoded: try json.string("signature")))
        #expect(BitcoinMessage.verify(signature: [UInt8](signature), message: Array("Hello world!".utf8),
                                      address: try json.string("address"), network: .test))
    }

    @Test("sign-message refused on the device is code -7")
    func rejectedMessage() async throws {
        let result = await run(["sign-message", "--path", Support.ethPath, "--message", "no", "--sim-approve", "deny"])
        #expect(result.exitCode == 1)
        #expect(result.errorCode == -7, "\(result.stdout)")
        #expect(result.stderr.lowercased().contains("confirm on your ledger..."))
    }

    @Test("sign-message needs exactly one of --message and --message-hex")
    func messageOptions() async throws {
        for arguments in [[], ["--message", "a", "--message-hex", "61"], ["--message-hex", "6"]] {
            let result = await run(["sign-message", "--path", Support.ethPath] + arguments)
            #expect(result.exitCode == 2, "\(arguments)")
            #expect(result.errorCode == -10)
        }
    }

    // MARK: sign-typed-data

    @Test("sign-typed-data full and hashed: the hashes of the spec, the recorded signature, the device's address")
    func typedData() async throws {
        let mail = try Support.mail()
        let file = try TemporaryFile(try #require(mail["typed_data"]).serialized())
        defer { file.remove() }
        let recorded = try Support.recorded("recorded_eth_app_1_22_0.json", "eth_sign_eip712_full_mail_raw_messages_setting_approved")
        let signatureHex = "0x" + (try #require(recorded["expected"]).string("signature_rsv_hex"))

        for (mode, extra) in [("full", [String]()), ("hashed", ["--sim-blind-signing", "on"]), (nil, [])] {
            let result = await run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path]
                + (mode.map { ["--mode", $0] } ?? []) + extra)
            #expect(result.exitCode == 0, "\(mode ?? "default"): \(result.stdout)")
            let json = try result.json()
            #expect(json.objectValue?.keys == ["signature", "address", "domainHash", "messageHash", "digest"])
            #expect(json["domainHash"]?.stringValue == (try mail.string("domainHash")))
            #expect(json["messageHash"]?.stringValue == (try mail.string("messageHash")))
            #expect(json["digest"]?.stringValue == (try mail.string("digest")))
            #expect(json["signature"]?.stringValue == signatureHex, "\(mode ?? "default")")
            #expect(json["address"]?.stringValue == Support.speculosEthAddress)
            let signature = try EthereumSignature(hex: try json.string("signature"))
            let digest = try #require(Hex.decode(try json.string("digest")))
            #expect(try signature.recoverSigner(digest: digest).checksummed == Support.speculosEthAddress)
            #expect(result.stderr.lowercased().contains("confirm on your ledger..."))
        }
    }

    @Test("sign-typed-data: the app's settings refuse it (code -14) with the setting to enable in the hint")
    func typedDataRefusedBySettings() async throws {
        let file = try TemporaryFile(try #require(try Support.mail()["typed_data"]).serialized())
        defer { file.remove() }
        // Blind signing is off by default: hashed mode is refused.
        let hashed = await run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--mode", "hashed"])
        #expect(hashed.exitCode == 1)
        #expect(hashed.errorCode == -14, "\(hashed.stdout)")
        #expect(hashed.hint.contains("Blind signing"))
        // Full mode needs "Raw messages" (or blind signing).
        let full = await run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--sim-raw-messages", "off"])
        #expect(full.exitCode == 1)
        #expect(full.errorCode == -14, "\(full.stdout)")
        #expect(full.hint.contains("Raw messages"))
    }

    @Test("sign-typed-data rejected on the device is code -7; a bad file is code -10")
    func typedDataFailures() async throws {
        let file = try TemporaryFile(try #require(try Support.mail()["typed_data"]).serialized())
        defer { file.remove() }
        let rejected = await run(["sign-typed-data", "--path", Support.ethPath, "--file", file.path, "--sim-approve", "deny"])
        #expect(rejected.errorCode == -7, "\(rejected.stdout)")
        let missing = await run(["sign-typed-data", "--path", Support.ethPath, "--file", "/nonexistent/typed.json"])
        #expect(missing.exitCode == 1)
        #expect(missing.errorCode == -10)
        #expect(missing.errorMessage.contains("/nonexistent/typed.json"))
    }

    // MARK: Device states

    @Test("A locked device is code -5, for every command")
    func locked() async throws {
        for command in [["address", "--path", Support.ethPath], ["xpub", "--path", "m/84'/0'/0'"],
                        ["sign-message", "--path", Support.ethPath, "--message", "x"]] {
            let result = await run(command + ["--sim-locked"])
            #expect(result.exitCode == 1)
            #expect(result.errorCode == -5, "\(command[0]): \(result.stdout)")
        }
    }

    @Test("Another app open: the right one gets opened, or the error is code -6 naming the app to open")
    func wrongApp() async throws {
        for app in ["bitcoin", "dashboard"] {
            let result = await run(["address", "--path", Support.ethPath, "--sim-app", app])
            if result.exitCode == 0 {
                #expect(try result.json()["address"]?.stringValue == Support.speculosEthAddress, "\(app)")
            } else {
                #expect(result.errorCode == -6, "\(app): \(result.stdout)")
                #expect(result.hint.contains("Ethereum"), "\(app): \(result.hint)")
            }
        }
        let bitcoin = await run(["xpub", "--path", "m/84'/0'/0'", "--sim-app", "ethereum"])
        if bitcoin.exitCode == 0 {
            #expect(try bitcoin.json()["fingerprint"]?.stringValue == "f5acc2fd")
        } else {
            #expect(bitcoin.errorCode == -6, "\(bitcoin.stdout)")
            #expect(bitcoin.hint.contains("Bitcoin"), "\(bitcoin.hint)")
        }
    }

    @Test("The user refuses to open the app the command needs: code -6 naming the app")
    func refusedAppOpening() async throws {
        let result = await run(["address", "--path", Support.ethPath, "--sim-app", "dashboard", "--sim-approve", "deny"])
        #expect(result.exitCode == 1)
        #expect(result.errorCode == -6, "\(result.stdout)")
        #expect(result.errorMessage.contains("Ethereum"))
        #expect(result.hint.contains("Open the Ethereum app"))
    }

    @Test("Usage mistakes are code -10, exit 2, before any device is touched")
    func usageMistakes() async throws {
        let cases: [[String]] = [
            ["address", "--path", "m/44'/60'/x"], ["address", "--path", Support.ethPath, "--coin", "doge"],
            ["address", "--path", Support.ethPath, "--script", "p2wpkh"],
            ["address", "--coin", "btc", "--path", "m/84'/0'/0'/0/0", "--script", "p2tr"],
            ["xpub", "--path", "m/84'/0'/0'", "--network", "regtest"],
            ["sign-typed-data", "--path", Support.ethPath, "--file", "-", "--mode", "blind"],
            ["address", "--path", Support.ethPath, "--sim-app", "monero"],
            ["address", "--path", Support.ethPath, "--sim-approve", "maybe"],
        ]
        for arguments in cases {
            let result = await run(arguments)
            #expect(result.exitCode == 2, "\(arguments): \(result.stdout)")
            #expect(result.errorCode == -10, "\(arguments)")
        }
    }

    // MARK: enumerate

    @Test("enumerate --transport sim:ledger: ready with its app, app-closed on the dashboard, locked")
    func enumerateSimulated() async throws {
        let ready = await run(["enumerate"])
        #expect(ready.exitCode == 0, "\(ready.stdout)")
        let entries = try #require(try ready.json().arrayValue)
        #expect(entries.count == 1)
        let entry = entries[0]
        #expect(entry.objectValue?.keys == ["id", "type", "model", "transport", "path", "state", "app"])
        #expect(entry["id"] == "sim:ledger")
        #expect(entry["type"] == "ledger")
        #expect(entry["transport"] == "sim")
        #expect(entry["state"] == "ready")
        #expect(entry["app"]?["name"] == "Ethereum")
        #expect(entry["app"]?["version"]?.stringValue?.isEmpty == false)

        let dashboard = try #require(try (await run(["enumerate", "--sim-app", "dashboard"])).json().arrayValue?.first)
        #expect(dashboard["state"] == "app-closed")
        #expect(dashboard["app"] == nil)

        let locked = await run(["enumerate", "--sim-locked"])
        #expect(locked.exitCode == 0)
        let lockedEntry = try #require(try locked.json().arrayValue?.first)
        #expect(lockedEntry["state"] == "locked")
        #expect(lockedEntry["code"] == -5)
        #expect(lockedEntry["error"]?.stringValue?.isEmpty == false)
    }
}
