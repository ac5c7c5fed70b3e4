import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// Every transcript of the Trezor One 1.14.2 emulator recordings (trezor/recorded_t1_firmware_1_14_2.json) replayed
/// into a `.one` simulator set up like the recording: the host's packets go in as recorded, and every message the
/// simulator answers must equal the recorded one.
///
/// What is compared: the message type and the payload byte for byte (and the 64-byte packets too), except
/// - Features: compared as decoded structs; `revision`, `bootloader_hash` and `fw_vendor` are the emulator build's,
///   so the simulator is configured with the recorded values (read from the `initialize` transcript); `session_id`
///   is random on both sides, so it is checked for what it means instead: a resumed session answers the id the host
///   sent, a new session a fresh 32-byte id. Host Initialize messages naming a recorded session id are rewritten to
///   the simulator's id for that session (a session the recording opened before the transcript is opened first).
/// - Failure: the code exactly, the text without the debug build's "file:line:" prefix (trezor/README.md).
@Suite("Simulated Trezor One: recorded transcripts")
struct SimulatedTrezorTranscriptTests {
    struct Transcript {
        var name: String
        var entry: JSONValue
        var packets: [(fromHost: Bool, bytes: [UInt8])]
        var messages: [(fromHost: Bool, type: UInt16, payload: [UInt8], packetIndex: [Int])]
    }

    static func transcripts() throws -> [Transcript] {
        let list = try #require(try TestVectors.json("trezor/recorded_t1_firmware_1_14_2.json").arrayValue)
        return try list.map { entry in
            Transcript(
                name: try entry.string("name"), entry: entry,
                packets: try entry.array("packets").map { (try $0.string("dir") == "host", try $0.hex("hex")) },
                messages: try entry.array("decoded").map { message in
                    (try message.string("dir") == "host", UInt16(try message.int("type_id")), try message.hex("payload_hex"),
                     try message.array("packet_index").map { Int(try #require($0.numberValue?.int64Value)) })
                })
        }
    }

    /// The recorded emulator's own Features values.
    static func emulatorIdentity() throws -> (revision: [UInt8], bootloaderHash: [UInt8], vendor: String) {
        let initialize = try #require(try transcripts().first { $0.name == "initialize" })
        let features = try #require(initialize.entry["decoded"]?.arrayValue?.last?["fields"])
        return (try features.hex("revision"), try features.hex("bootloader_hash"), try features.string("fw_vendor"))
    }

    /// A `.one` simulator set up as the recording's device was for `transcript`.
    static func device(for transcript: Transcript) throws -> SimulatedTrezor {
        let identity = try emulatorIdentity()
        return try TrezorSim.device { configuration in
            configuration.model = .one
            configuration.revision = identity.revision
            configuration.bootloaderHash = identity.bootloaderHash
            configuration.firmwareVendor = identity.vendor
            if let pin = transcript.entry["pin"]?.stringValue { configuration.pin = pin }
            if let matrix = transcript.entry["pin_matrix"]?["matrix"]?.stringValue {
                configuration.pinLayout = matrix.compactMap { $0.wholeNumberValue.map(UInt8.init) }
            }
            if let passphrase = transcript.entry["passphrase"]?.stringValue { configuration.passphrase = passphrase }
            // The button decisions of trezor/README.md "Button decisions".
            switch transcript.name {
            case "ethereum_sign_message_user_rejects": configuration.scriptedDecisions = [.deny]
            case "bitcoin_sign_message_user_rejects_message_screen": configuration.scriptedDecisions = [.approve, .deny]
            case "ethereum_sign_message_cancel_after_button_ack", "ethereum_sign_message_cancel_instead_of_button_ack":
                configuration.userPressesButtons = false
            default: break
            }
        }
    }

    @Test func everyTranscriptIsCovered() throws {
        let names = Set(try Self.transcripts().map(\.name))
        #expect(names.count == 27, "transcripts: \(names.sorted())")
    }

    @Test(arguments: try SimulatedTrezorTranscriptTests.transcripts().map(\.name))
    func replays(_ name: String) throws {
        let transcript = try #require(try Self.transcripts().first { $0.name == name })
        let device = try Self.device(for: transcript)
        var sessions: [[UInt8]: [UInt8]] = [:]  // recorded session id -> the simulator's
        var answers: [(message: TrezorWireMessage, packets: [[UInt8]])] = []
        var compared = 0

        // Sessions the recording opened before the transcript began are opened here first, before anything else.
        for message in transcript.messages where message.fromHost && message.type == TrezorMessageType.initialize.rawValue {
            if let recorded = try TrezorProto.Initialize(protobuf: message.payload).sessionID, sessions[recorded] == nil {
                let opened = try TrezorSim.reply(device, TrezorProto.Initialize())
                let id: [UInt8] = try #require(try opened.decode(TrezorProto.Features.self).sessionID)
                sessions[recorded] = id
            }
        }

        for message in transcript.messages {
            if message.fromHost {
                var packets = message.packetIndex.map { transcript.packets[$0].bytes }
                if message.type == TrezorMessageType.initialize.rawValue {
                    var initialize = try TrezorProto.Initialize(protobuf: message.payload)
                    if let recorded = initialize.sessionID {
                        initialize.sessionID = sessions[recorded]
                        packets = TrezorV1Framing.packets(for: TrezorWireMessage(initialize))
                    }
                }
                var reassembler = TrezorV1Reassembler()
                var current: [[UInt8]] = []
                for packet in packets {
                    for answer in device.receive(packet: packet) {
                        current.append(answer)
                        if let complete = try reassembler.append(answer) {
                            answers.append((complete, current))
                            current = []
                        }
                    }
                }
                #expect(current.isEmpty, "\(name): unfinished answer")
                continue
            }
            try #require(!answers.isEmpty, "\(name): the simulator sent nothing where the device sent type \(message.type)")
            let (actual, actualPackets) = answers.removeFirst()
            let recordedPackets = message.packetIndex.map { transcript.packets[$0].bytes }
            #expect(actual.type == message.type, "\(name): type \(actual.typeName) instead of \(message.type)")
            try compare(actual, actualPackets, with: message.payload, recordedPackets, type: message.type,
                        sessions: &sessions, name: name)
            compared += 1
        }
        #expect(answers.isEmpty, "\(name): extra answers \(answers.map(\.message.typeName))")
        #expect(compared == transcript.messages.filter { !$0.fromHost }.count)
    }

    private func compare(
        _ actual: TrezorWireMessage, _ actualPackets: [[UInt8]], with payload: [UInt8], _ recordedPackets: [[UInt8]],
        type: UInt16, sessions: inout [[UInt8]: [UInt8]], name: String
    ) throws {
        switch TrezorMessageType(rawValue: type) {
        case .features?:
            var expected = try TrezorProto.Features(protobuf: payload)
            let features = try actual.decode(TrezorProto.Features.self)
            if let recorded = expected.sessionID {
                let mine = try #require(features.sessionID, "\(name): Features without session_id")
                #expect(mine.count == 32)
                if let known = sessions[recorded] {
                    #expect(mine == known, "\(name): the session was not resumed")
                } else {
                    #expect(!sessions.values.contains(mine), "\(name): expected a NEW session id")
                    sessions[recorded] = mine
                }
                expected.sessionID = mine
            }
            #expect(features == expected, "\(name): Features differ")
        case .failure?:
            let expected = try TrezorProto.Failure(protobuf: payload)
            let failure = try actual.decode(TrezorProto.Failure.self)
            #expect(failure.code == expected.code, "\(name): Failure code")
            // The debug build prefixes "file:line:"; production sends the text after the last colon.
            let text = expected.message.map { String($0.split(separator: ":", omittingEmptySubsequences: false).last ?? "") }
            #expect(failure.message == text, "\(name): Failure text")
        default:
            #expect(Hex.encode(actual.payload) == Hex.encode(payload), "\(name): payload of type \(type)")
            #expect(actualPackets == recordedPackets, "\(name): packets of type \(type)")
        }
    }
}
