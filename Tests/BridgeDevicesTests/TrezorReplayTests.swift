import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The host code driven through the recorded Trezor One 1.14.2 transcripts: every host packet must be the recorded
/// one byte for byte (ReplayTrezorLink fails otherwise), and every answer is decoded as the host library did.
///
/// `TrezorDevice` operations that need the wallet first open the session exactly as the recording
/// `session_open_standard_wallet` shows, and later ones resume it as `initialize_resume_session` shows, so those
/// replays chain transcripts. Where `TrezorDevice` adds a call the recording does not have (address: the public key
/// after the address), the test drives `TrezorV1Channel.call` with the request `TrezorDevice` builds instead.
@Suite("Trezor transcripts: host replay")
struct TrezorReplayTests {
    static let options = OperationOptions(timeout: .seconds(5))
    static let message = Array("This is an example of a signed message.".utf8)

    func device(_ link: ReplayTrezorLink, credentials: TrezorCredentials = TrezorCredentials(), model: String = "unknown")
        -> TrezorDevice
    {
        TrezorDevice(link: link, descriptor: TrezorTest.descriptor(model: model), credentials: credentials)
    }

    func expectCode(_ code: ErrorCode, _ body: () async throws(DeviceError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected error \(code.rawValue), got success", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: TrezorDevice

    @Test func pingWithoutButtonProtection() async throws {
        let link = try TrezorTranscript.replay("ping_no_button_protection")
        #expect(try await device(link).ping("hello trezor", Self.options) == "hello trezor")
        #expect(link.isFinished)
    }

    @Test func featuresAndModel() async throws {
        let link = try TrezorTranscript.replay("get_features")
        let device = device(link)
        let features = try await device.features(Self.options)
        #expect(features.vendor == "trezor.io" && features.model == "1" && features.internalModel == nil)
        #expect(features.firmwareVersion == "1.14.2")
        #expect(features.capabilities == [.bitcoin, .bitcoinLike, .crypto, .ethereum, .nem, .stellar, .u2f])
        #expect(device.descriptor.model == "one")
        #expect(link.isFinished)
    }

    @Test func sessionOpenThenXpubThenResumeThenBitcoinMessage() async throws {
        let link = try TrezorTranscript.replay("session_open_standard_wallet", "bitcoin_get_public_key",
                                               "initialize_resume_session", "bitcoin_sign_message_p2pkh")
        let device = device(link)
        let xpub = try await device.extendedPublicKey(path: TrezorTest.path("m/44'/0'/0'"), network: .main, Self.options)
        #expect(xpub.xpub == "xpub6BiVtCpG9fQPxnPmHXG8PhtzQdWC2Su4qWu6XW9tpWFYhxydCLJGrWBJZ5H6qTAHdPQ7pQhtpjiYZVZARo14qHiay2fvrX996oEP42u8wZy")
        #expect(xpub.masterFingerprint == 0x5C9E_228D)
        #expect(Hex.encode(xpub.publicKey.compressed) == "03c8166eb40ac84088b618ec07c7cebadacee31c5f5b04a1e8c2a2f3e748eb2cdd")
        #expect(device.descriptor.model == "one")

        let signed = try await device.signMessage(MessageSigningRequest(path: TrezorTest.path("m/44'/0'/0'/0/0"), message: Self.message,
                                                                        coin: .btc), Self.options)
        guard case .bitcoin(let signature, let address) = signed else {
            Issue.record("not a Bitcoin signature")
            return
        }
        #expect(address == "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL")
        #expect(Hex.encode(signature)
            == "20fd8f2f7db5238fcdd077d5204c3e6949c261d700269cefc1d9d2dcef6b95023630ee617f6c8acf9eb40c8edd704c9ca74ea4afc393f43f35b4e8958324cbdd1c")
        #expect(link.isFinished)
    }

    @Test(arguments: [("bitcoin_sign_message_p2sh_p2wpkh", "m/49'/0'/0'/0/0", "3L6TyTisPBmrDAj6RoKmDzNnj4eQi54gD2"),
                      ("bitcoin_sign_message_p2wpkh", "m/84'/0'/0'/0/0", "bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk")])
    func bitcoinMessageSegwit(transcript: String, path: String, address: String) async throws {
        let link = try TrezorTranscript.replay("session_open_standard_wallet", transcript)
        let signed = try await device(link).signMessage(
            MessageSigningRequest(path: TrezorTest.path(path), message: Self.message, coin: .btc), Self.options)
        let recorded = try TrezorTranscript.named(transcript).decoded.last!.fields
        #expect(signed == .bitcoin(signature: try recorded.hex("signature"), address: address))
        #expect(link.isFinished)
    }

    @Test func ethereumMessageWithTwoButtons() async throws {
        let link = try TrezorTranscript.replay("session_open_standard_wallet", "ethereum_sign_message")
        let progress = ProgressLog()
        let signed = try await device(link).signMessage(
            MessageSigningRequest(path: TrezorTest.path("m/44'/60'/0'/0/0"), message: Self.message),
            OperationOptions(timeout: .seconds(5), progress: progress.append))
        guard case .ethereum(let signature, let address) = signed else {
            Issue.record("not an Ethereum signature")
            return
        }
        #expect(address.checksummed == TrezorTest.ethAddress)
        #expect(signature.hex
            == "0xaf4eac50f21acc6daeb0ab036f616f5d19fccade46e47100642b3dfc798c9b740d5873887bdc2f02502c90777a082d10dca113bd1ec29d08108396401421c8cc1b")
        #expect(progress.lines == ["Confirm on your Trezor..."])
        #expect(link.isFinished)
    }

    @Test func ethereumTypedHashMailWithFourButtons() async throws {
        let fixture = try #require(try TestVectors.json("trezor/ethereum/sign_typed_data.json").array("tests")
            .first { $0["name"]?.stringValue == "basic_data" })
        let parameters = try #require(fixture["parameters"])
        let typedData = try TypedData(json: try #require(parameters["data"]))
        let link = try TrezorTranscript.replay("session_open_standard_wallet", "ethereum_sign_typed_hash_mail")
        let result = try await device(link).signTypedData(path: TrezorTest.path("m/44'/60'/0'/0/0"), typedData: typedData,
                                                          mode: .hashed, Self.options)
        #expect(result.address.checksummed == TrezorTest.ethAddress)
        #expect(result.signature.hex == (try fixture["result"]!.string("sig")))
        #expect(Hex.encodePrefixed(result.domainHash) == (try parameters.string("domain_separator_hash")))
        #expect(result.messageHash.map(Hex.encodePrefixed) == (try parameters.string("message_hash")))
        #expect(link.isFinished)
    }

    @Test func userRejectsOnDevice() async throws {
        let link = try TrezorTranscript.replay("session_open_standard_wallet", "ethereum_sign_message_user_rejects")
        let device = device(link)
        await expectCode(.rejectedOnDevice) { () throws(DeviceError) in
            _ = try await device.signMessage(MessageSigningRequest(path: TrezorTest.path("m/44'/60'/0'/0/0"), message: Self.message),
                                             Self.options)
        }
        #expect(link.isFinished)
    }

    @Test func bitcoinUserRejectsOnTheMessageScreen() async throws {
        let link = try TrezorTranscript.replay("session_open_standard_wallet", "bitcoin_sign_message_user_rejects_message_screen")
        let device = device(link)
        await expectCode(.rejectedOnDevice) { () throws(DeviceError) in
            _ = try await device.signMessage(MessageSigningRequest(path: TrezorTest.path("m/44'/0'/0'/0/0"), message: Self.message,
                                                                   coin: .btc), Self.options)
        }
        #expect(link.isFinished)
    }

    @Test func fullTypedDataOnATrezorOneIsRefusedBeforeSending() async throws {
        let typedData = try TypedData(jsonText: Self.mailJSON)
        // Known to be a Trezor One from enumeration: nothing at all is sent.
        let silent = ReplayTrezorLink(name: "nothing", packets: [])
        await expectCode(.notSupported) { () throws(DeviceError) in
            _ = try await device(silent, model: "one").signTypedData(path: TrezorTest.path("m/44'/60'/0'/0/0"), typedData: typedData,
                                                                    mode: .full, Self.options)
        }
        #expect(silent.position == 0)
        // Learnt from Features: the session opens, EthereumSignTypedData is never sent.
        let link = try TrezorTranscript.replay("session_open_standard_wallet")
        await expectCode(.notSupported) { () throws(DeviceError) in
            _ = try await device(link).signTypedData(path: TrezorTest.path("m/44'/60'/0'/0/0"), typedData: typedData, mode: .full,
                                                     Self.options)
        }
        #expect(link.isFinished)
    }

    // MARK: The session and the call API

    @Test func sessionOpensResumesAndRederivesWhenLost() throws {
        let open = try TrezorTranscript.named("session_open_standard_wallet")
        let resume = try TrezorTranscript.named("initialize_resume_session")
        let fresh = try TrezorTranscript.named("initialize")
        // Lost session: Initialize(old id) answered with Features carrying another id (the `initialize` recording's),
        // then the derivation and GetFeatures again (the recorded ones).
        let initializeOld = resume.packets.filter(\.fromHost)
        let featuresNew = fresh.packets.filter { !$0.fromHost }
        let derivation = Array(open.packets[open.decoded[2].packetIndex.first!...])
        let lost = (initializeOld + featuresNew + derivation).map { ReplayTrezorLink.Packet(fromHost: $0.fromHost, bytes: $0.bytes) }
        let link = ReplayTrezorLink(name: "open+resume+lost", packets: open.replayPackets + resume.replayPackets + lost)
        let channel = TrezorV1Channel(link: link)
        var session = TrezorSession()

        let opened = try session.activate(on: channel, TrezorTest.context())
        #expect(Hex.encode(session.sessionID ?? []) == "ea5ec30441010697ace9956b1b59f23fbe3be1be05b03a81a0e1085f7f2868a2")
        #expect(session.rootFingerprint == 0x5C9E_228D)
        #expect(opened.sessionID == nil)  // refreshed by GetFeatures, which carries no session id

        let resumed = try session.activate(on: channel, TrezorTest.context())
        #expect(resumed.sessionID == session.sessionID)

        _ = try session.activate(on: channel, TrezorTest.context())
        #expect(Hex.encode(session.sessionID ?? []) == "5c2e12bd0bf6cf9beed31909758a6daf5099964f6f9cfa40021f54aa7952416e")
        #expect(session.rootFingerprint == 0x5C9E_228D)
        #expect(link.isFinished)
    }

    @Test func passphraseFromTheHostOpensTheHiddenWallet() throws {
        let link = try TrezorTranscript.replay("passphrase_session_ethereum_get_address")
        let channel = TrezorV1Channel(link: link)
        var session = TrezorSession()
        let progress = ProgressLog()
        let context = TrezorTest.context(credentials: TrezorCredentials(passphraseOnHost: "TREZOR"), progress: progress.append)
        let features = try session.activate(on: channel, context)
        #expect(features.passphraseProtection == true)
        #expect(session.rootFingerprint == 0x4B85_4CCF)
        let request = TrezorDevice.ethereumGetAddressRequest(AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")))
        let reply = try channel.call(request, expecting: TrezorProto.EthereumAddress.self, context)
        #expect(reply.address == "0xf061411b46fB8cCcdeb16855347a419a777A1f9A")
        #expect(progress.lines == ["Confirm on your Trezor..."])
        #expect(link.isFinished)
    }

    @Test func addressRequestsAreTheRecordedOnes() throws {
        let cases: [(String, AddressRequest, String)] = [
            ("ethereum_get_address", AddressRequest(path: TrezorTest.path("m/44'/60'/0'/0/0")), TrezorTest.ethAddress),
            ("bitcoin_get_address_p2pkh", AddressRequest(path: TrezorTest.path("m/44'/0'/0'/0/0"), coin: .btc),
             "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL"),
            ("bitcoin_get_address_p2sh_p2wpkh", AddressRequest(path: TrezorTest.path("m/49'/0'/0'/0/0"), coin: .btc),
             "3L6TyTisPBmrDAj6RoKmDzNnj4eQi54gD2"),
            ("bitcoin_get_address_p2wpkh", AddressRequest(path: TrezorTest.path("m/84'/0'/0'/0/0"), coin: .btc),
             "bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk"),
        ]
        for (name, request, expected) in cases {
            let link = try TrezorTranscript.replay(name)
            let channel = TrezorV1Channel(link: link)
            let address: String?
            switch request.coin {
            case .eth:
                address = try channel.call(TrezorDevice.ethereumGetAddressRequest(request), expecting: TrezorProto.EthereumAddress.self,
                                           TrezorTest.context()).address
            case .btc:
                address = try channel.call(TrezorDevice.getAddressRequest(request), expecting: TrezorProto.Address.self,
                                           TrezorTest.context()).address
            }
            #expect(address == expected, "\(name)")
            #expect(link.isFinished, "\(name)")
        }
    }

    @Test func ethereumPublicKeyRequestIsTheRecordedOne() throws {
        let link = try TrezorTranscript.replay("ethereum_get_public_key")
        let reply = try TrezorV1Channel(link: link).call(
            TrezorProto.EthereumGetPublicKey(addressN: TrezorTest.path("m/44'/60'/0'").indexes, showDisplay: false),
            expecting: TrezorProto.EthereumPublicKey.self, TrezorTest.context())
        #expect(reply.xpub == "xpub6CNFa58kEQJu2hwMVoofpDEKVVSg6gfwqBqE2zHAianaUnQkrJzJJ42iLDp7Dmg2aP88qCKoFZ4jidk3tECdQuF4567NGHDfe7iBRwHxgke")
        #expect(link.isFinished)
    }

    @Test func pinMatrixRightAndWrong() throws {
        let request = TrezorDevice.getAddressRequest(AddressRequest(path: TrezorTest.path("m/44'/0'/0'/0/0"), coin: .btc))
        let right = try TrezorTranscript.replay("pin_matrix_correct_pin")
        // The recorded grid is 314279586 (digit at positions 1-9): PIN 1234 is positions 2413.
        let context = TrezorTest.context(credentials: TrezorCredentials(pinPositions: { type in type == .current ? "2413" : nil }))
        let address = try TrezorV1Channel(link: right).call(request, expecting: TrezorProto.Address.self, context).address
        #expect(address == "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL")
        #expect(right.isFinished)

        let wrong = try TrezorTranscript.replay("pin_matrix_wrong_pin")
        let wrongContext = TrezorTest.context(credentials: TrezorCredentials(pinPositions: { _ in "8745" }))
        do {
            _ = try TrezorV1Channel(link: wrong).call(request, expecting: TrezorProto.Address.self, wrongContext)
            Issue.record("a wrong PIN was accepted")
        } catch {
            #expect(error.code == .deviceLocked)
        }
        #expect(wrong.isFinished)
    }

    @Test func unknownAndUnsupportedMessagesAreNotSupported() throws {
        let unknown = try TrezorTranscript.replay("unknown_message_type")
        do {
            _ = try TrezorV1Channel(link: unknown).call(TrezorWireMessage(type: 9999, payload: []), TrezorTest.context())
            Issue.record("type 9999 was answered")
        } catch {
            #expect(error == .notSupported("this Trezor does not support message type 9999 (Unknown message)"))
        }
        #expect(unknown.isFinished)

        // EthereumSignTypedData exactly as the full flow starts it (trezorlib: metamask_v4_compat=True explicit).
        let flow = try TrezorEIP712(typedData: try TypedData(jsonText: Self.mailJSON))
        let unsupported = try TrezorTranscript.replay("unsupported_ethereum_sign_typed_data")
        do {
            _ = try TrezorV1Channel(link: unsupported).call(TrezorWireMessage(flow.request(path: TrezorTest.path("m/44'/60'/0'/0/0"))),
                                                             TrezorTest.context())
            Issue.record("EthereumSignTypedData was answered on a Trezor One")
        } catch {
            #expect(error.code == .notSupported)
            #expect(error.message.contains("EthereumSignTypedData"))
        }
        #expect(unsupported.isFinished)
    }

    @Test func cancelWhileIdleIsActionCancelled() throws {
        let link = try TrezorTranscript.replay("cancel_while_idle")
        #expect(throws: DeviceError.rejectedOnDevice) {
            try TrezorV1Channel(link: link).call(TrezorWireMessage(TrezorProto.Cancel()), TrezorTest.context())
        }
        #expect(link.isFinished)
    }

    @Test func deadlineWhileWaitingForTheUserSendsCancelAndDrains() throws {
        // After the ButtonAck the recording has the host send Cancel: the deadline passes while the device waits.
        let link = try TrezorTranscript.replay("ethereum_sign_message_cancel_after_button_ack")
        let request = TrezorDevice.ethereumSignMessageRequest(MessageSigningRequest(path: TrezorTest.path("m/44'/60'/0'/0/0"),
                                                                                  message: Self.message))
        let clock = ContinuousClock()
        let context = TrezorCallContext(deadline: clock.now.advanced(by: .milliseconds(300)), timeout: .milliseconds(300))
        #expect(throws: DeviceError.timedOut(.milliseconds(300))) {
            try TrezorV1Channel(link: link).call(request, expecting: TrezorProto.EthereumMessageSignature.self, context)
        }
        #expect(link.isFinished)
    }

    @Test func cancellationAtAButtonRequestSendsCancelInsteadOfTheAck() throws {
        let transcript = try TrezorTranscript.named("ethereum_sign_message_cancel_instead_of_button_ack")
        let link = ReplayTrezorLink(name: transcript.name, packets: transcript.replayPackets)
        // Cancelled as soon as the ButtonRequest has arrived.
        let buttonRequestEnd = transcript.decoded[1].packetIndex.last! + 1
        let context = TrezorTest.context(isCancelled: { link.position >= buttonRequestEnd })
        let request = TrezorDevice.ethereumSignMessageRequest(MessageSigningRequest(path: TrezorTest.path("m/44'/60'/0'/0/0"),
                                                                                  message: Self.message))
        #expect(throws: DeviceError.cancelled) {
            try TrezorV1Channel(link: link).call(request, expecting: TrezorProto.EthereumMessageSignature.self, context)
        }
        #expect(link.isFinished)
    }

    @Test func replayLinkNamesTheFirstDifference() throws {
        let link = try TrezorTranscript.replay("ping_no_button_protection")
        let channel = TrezorV1Channel(link: link)
        do {
            try channel.write(TrezorWireMessage(TrezorProto.Ping(message: "hello trezor", buttonProtection: true)))
            Issue.record("a different Ping was accepted")
        } catch {
            #expect(error.code == .protocolError)
            #expect(error.message.contains("host packet 0 differs"))
            #expect(error.message.contains("recorded 3f23230001"))
        }
        #expect(link.position == 0)
    }

    static let mailJSON = """
        {"types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
          {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
          "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
          "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"}, {"name": "contents", "type": "string"}]},
         "primaryType": "Mail",
         "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0x1e0Ae8205e9726E6F296ab8869160A6423E2337E"},
         "message": {"from": {"name": "Cow", "wallet": "0xc0004B62C5A39a728e4Af5bee0c6B4a4E54b15ad"},
                     "to": {"name": "Bob", "wallet": "0x54B0Fa66A065748C40dCA2C7Fe125A2028CF9982"}, "contents": "Hello, Bob!"}}
        """
}
