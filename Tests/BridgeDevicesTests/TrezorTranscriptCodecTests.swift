import BridgeCore
import BridgeDevices
import TestVectors
import Testing

@Suite("Trezor transcripts: codec")
struct TrezorTranscriptCodecTests {
    @Test func everyDecodedMessageMatchesItsFields() throws {
        let transcripts = try TrezorTranscript.all()
        #expect(transcripts.count == 27)
        var checked = 0
        for transcript in transcripts {
            for (index, entry) in transcript.decoded.enumerated() {
                let label = "\(transcript.name) #\(index) \(entry.type)"
                let wire = transcript.wire(index)
                guard let fields = try TrezorFieldText.decode(wire) else {
                    // Only the deliberately undefined type id has no typed message.
                    #expect(entry.type == "Unknown" && entry.typeID == 9999, "\(label)")
                    continue
                }
                #expect(TrezorMessageType(rawValue: entry.typeID)?.name == entry.type, "\(label)")
                #expect(fields == TrezorFieldText.fromJSON(entry.fields, message: entry.type), "\(label)")
                checked += 1
            }
        }
        #expect(checked == 110)
    }

    @Test func hostMessagesReencodeByteForByte() throws {
        var checked = 0
        for transcript in try TrezorTranscript.all() {
            for (index, entry) in transcript.decoded.enumerated() where entry.fromHost && entry.typeID != 9999 {
                let encoded = try #require(try TrezorFieldText.reencode(transcript.wire(index)), "\(transcript.name) \(entry.type)")
                #expect(Hex.encode(encoded) == Hex.encode(entry.payload), "\(transcript.name) #\(index) \(entry.type)")
                checked += 1
            }
        }
        #expect(checked == 55)
    }

    @Test func deviceMessagesReencodeByteForByte() throws {
        // The Trezor One (nanopb) also writes fields in number order and repeated fields unpacked, so the device's
        // messages come out identical too: the simulator can rely on the same encoder.
        for transcript in try TrezorTranscript.all() {
            for (index, entry) in transcript.decoded.enumerated() where !entry.fromHost {
                let encoded = try #require(try TrezorFieldText.reencode(transcript.wire(index)), "\(transcript.name) \(entry.type)")
                #expect(Hex.encode(encoded) == Hex.encode(entry.payload), "\(transcript.name) #\(index) \(entry.type)")
            }
        }
    }

    @Test func packetsReassembleToEachMessageAndFramingReproducesThem() throws {
        for transcript in try TrezorTranscript.all() {
            #expect(transcript.packets.allSatisfy { $0.bytes.count == 64 }, "\(transcript.name)")
            for (index, entry) in transcript.decoded.enumerated() {
                let label = "\(transcript.name) #\(index) \(entry.type)"
                var reassembler = TrezorV1Reassembler()
                var result: TrezorWireMessage?
                for (position, packetIndex) in entry.packetIndex.enumerated() {
                    #expect(transcript.packets[packetIndex].fromHost == entry.fromHost, "\(label)")
                    result = try reassembler.append(transcript.packets[packetIndex].bytes)
                    #expect((result != nil) == (position == entry.packetIndex.count - 1), "\(label)")
                }
                #expect(result == TrezorWireMessage(type: entry.typeID, payload: entry.payload), "\(label)")
                // Both sides zero-pad, so framing the message again gives the recorded packets exactly.
                let framed = TrezorV1Framing.packets(for: TrezorWireMessage(type: entry.typeID, payload: entry.payload))
                #expect(framed == entry.packetIndex.map { transcript.packets[$0].bytes }, "\(label)")
            }
        }
    }
}
