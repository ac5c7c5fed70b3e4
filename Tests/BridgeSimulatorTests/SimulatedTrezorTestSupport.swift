import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// Test shorthands for the simulated Trezor: build a device, send typed messages as real v1 packets, read the
/// reassembled answers, and play the host's side of the button loop.
enum TrezorSim {
    static func device(_ configure: (inout SimulatedTrezor.Configuration) -> Void = { _ in }) throws -> SimulatedTrezor {
        var configuration = SimulatedTrezor.Configuration()
        configure(&configuration)
        return try SimulatedTrezor(configuration: configuration)
    }

    /// Feeds `packets` to the device and reassembles every message it answers with.
    static func feed(_ device: SimulatedTrezor, _ packets: [[UInt8]]) throws -> [TrezorWireMessage] {
        var reassembler = TrezorV1Reassembler()
        var messages: [TrezorWireMessage] = []
        for packet in packets {
            for answer in device.receive(packet: packet) {
                #expect(answer.count == TrezorV1Framing.packetSize)
                if let message = try reassembler.append(answer) { messages.append(message) }
            }
        }
        #expect(!reassembler.isInProgress, "the device left a message unfinished")
        return messages
    }

    /// Sends one message; returns what the device answers right away (usually one message, none while it waits).
    static func send(_ device: SimulatedTrezor, _ message: TrezorWireMessage) throws -> [TrezorWireMessage] {
        try feed(device, TrezorV1Framing.packets(for: message))
    }

    static func send<Message: TrezorMessage>(_ device: SimulatedTrezor, _ message: Message) throws -> [TrezorWireMessage] {
        try send(device, TrezorWireMessage(message))
    }

    /// The single answer to `message`.
    static func reply<Message: TrezorMessage>(_ device: SimulatedTrezor, _ message: Message) throws -> TrezorWireMessage {
        let answers = try send(device, message)
        try #require(answers.count == 1, "expected one answer to \(Message.messageType.name), got \(answers.map(\.typeName))")
        return answers[0]
    }

    /// A call as trezorlib runs it: every ButtonRequest is answered with ButtonAck; returns the final message and the
    /// ButtonRequests seen on the way.
    static func call<Message: TrezorMessage>(_ device: SimulatedTrezor, _ message: Message)
        throws -> (result: TrezorWireMessage, buttons: [TrezorProto.ButtonRequest])
    {
        var answer = try reply(device, message)
        var buttons: [TrezorProto.ButtonRequest] = []
        while answer.messageType == .buttonRequest {
            buttons.append(try answer.decode(TrezorProto.ButtonRequest.self))
            answer = try reply(device, TrezorProto.ButtonAck())
        }
        return (answer, buttons)
    }

    /// The Failure in `message`, or a test failure naming what came instead.
    static func failure(_ message: TrezorWireMessage) throws -> TrezorProto.Failure {
        try #require(message.messageType == .failure, "expected Failure, got \(message.typeName)")
        return try message.decode(TrezorProto.Failure.self)
    }

    /// BIP-32 indexes of a path such as "m/44'/60'/0'/0/0".
    static func path(_ text: String) throws -> [UInt32] {
        try DerivationPath(parsing: text).indexes
    }

    /// The keypad positions that enter `pin` on the matrix `layout` (digit shown at position k is `layout[k-1]`).
    static func positions(of pin: String, on layout: [UInt8]) throws -> String {
        try String(pin.map { digit in
            let index = try #require(layout.firstIndex(of: UInt8(String(digit)) ?? 0), "digit \(digit) not on the matrix")
            return Character(String(index + 1))
        })
    }
}
