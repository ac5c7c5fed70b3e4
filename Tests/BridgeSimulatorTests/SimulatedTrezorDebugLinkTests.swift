import BridgeCore
import BridgeDevices
import BridgeSimulator
import Testing

/// The debug link (UDP port+1 on the emulator): DebugLinkGetState reads the screen as text, the PIN and the PIN matrix;
/// DebugLinkDecision presses YES or NO, swipes, or types a PIN on a screen that waits for the user
/// (trezor/trezor-firmware common/protob/messages-debug.proto; python/src/trezorlib/debuglink.py).
@Suite("Simulated Trezor: the debug link and the screens")
struct SimulatedTrezorDebugLinkTests {
    /// Sends one debug-link message; returns the debug link's answers and what the main link sends.
    func debug<Message: TrezorMessage>(_ device: SimulatedTrezor, _ message: Message) throws
        -> (debug: [TrezorWireMessage], main: [TrezorWireMessage])
    {
        var debugReassembler = TrezorV1Reassembler()
        var mainReassembler = TrezorV1Reassembler()
        var debug: [TrezorWireMessage] = []
        var main: [TrezorWireMessage] = []
        for packet in TrezorV1Framing.packets(for: TrezorWireMessage(message)) {
            let answer = device.receiveDebug(packet: packet)
            for packet in answer.debug { if let message = try debugReassembler.append(packet) { debug.append(message) } }
            for packet in answer.main { if let message = try mainReassembler.append(packet) { main.append(message) } }
        }
        return (debug, main)
    }

    func state(_ device: SimulatedTrezor) throws -> TrezorProto.DebugLinkState {
        let answer = try debug(device, TrezorProto.DebugLinkGetState())
        try #require(answer.debug.count == 1 && answer.main.isEmpty)
        return try answer.debug[0].decode(TrezorProto.DebugLinkState.self)
    }

    /// A device nobody presses on: screens wait for a DebugLinkDecision.
    func waitingDevice(_ configure: (inout SimulatedTrezor.Configuration) -> Void = { _ in }) throws -> SimulatedTrezor {
        try TrezorSim.device {
            $0.userPressesButtons = false
            configure(&$0)
        }
    }

    @Test("YES on the debug link ends the wait: the main link sends the address; the screen showed it")
    func yesAnswersOnTheMainLink() throws {
        let device = try waitingDevice()
        let request = TrezorProto.EthereumGetAddress(addressN: try TrezorSim.path("m/44'/60'/0'/0/0"), showDisplay: true)
        #expect(try TrezorSim.reply(device, request).messageType == .buttonRequest)
        #expect(try TrezorSim.send(device, TrezorProto.ButtonAck()).isEmpty)

        let shown = try state(device)
        #expect(shown.tokens.count == 1)
        let layout = try JSONValue(parsing: shown.tokens[0])
        #expect(layout["title"]?.stringValue == "Address")
        #expect(String(decoding: shown.layout ?? [], as: UTF8.self) == "Address\n0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
        #expect(shown.pin == "" && shown.passphraseProtection == false)
        #expect(shown.mnemonicSecret == Array("all all all all all all all all all all all all".utf8))

        let pressed = try debug(device, TrezorProto.DebugLinkDecision(button: .yes))
        #expect(pressed.debug.isEmpty)
        try #require(pressed.main.count == 1)
        #expect(try pressed.main[0].decode(TrezorProto.EthereumAddress.self).address == "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
        #expect(device.screen.name == "homescreen")
    }

    @Test("NO refuses the call on the main link; a swipe only turns the page; wait=true answers DebugLinkLayout (older trezorlibs)")
    func noAndSwipe() throws {
        let device = try waitingDevice()
        _ = try TrezorSim.reply(device, TrezorProto.Ping(message: "hi", buttonProtection: true))
        _ = try TrezorSim.send(device, TrezorProto.ButtonAck())
        let swiped = try debug(device, TrezorProto.DebugLinkDecision(swipe: .up, wait: true))
        #expect(swiped.main.isEmpty)
        #expect(try swiped.debug.first?.decode(TrezorProto.DebugLinkLayout.self).lines.contains("hi") == true)
        let declined = try debug(device, TrezorProto.DebugLinkDecision(button: .no))
        let failure = try TrezorSim.failure(try #require(declined.main.first))
        #expect(failure.code == .actionCancelled && failure.message == "Cancelled")
    }

    @Test("the PIN matrix is on screen and in DebugLinkState.matrix, as trezorlib's encode_pin reads it")
    func pinMatrix() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = [3, 1, 4, 2, 7, 9, 5, 8, 6]
        }
        #expect(try TrezorSim.reply(device, TrezorProto.GetAddress(addressN: [0])).messageType == .pinMatrixRequest)
        let shown = try state(device)
        #expect(shown.matrix == "314279586" && shown.pin == "1234")
        // Keypad rows top to bottom: positions 7 8 9, 4 5 6, 1 2 3.
        #expect(device.screen.lines == ["5 8 6", "2 7 9", "3 1 4"])
        // trezorlib `encode_pin`: the position of each digit in the matrix string, counted from 1.
        let positions = String("1234".map { digit in Character(String(shown.matrix!.firstIndex(of: digit)!.utf16Offset(in: shown.matrix!) + 1)) })
        #expect(positions == "2413")
        #expect(try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: positions)).messageType == .address)
    }

    @Test("core's PIN typed through the debug link: the right PIN unlocks, a wrong one is PinInvalid")
    func pinTypedOnCore() throws {
        for (typed, unlocks) in [("1234", true), ("9999", false)] {
            let device = try waitingDevice { $0.pin = "1234" }
            let request = try TrezorSim.reply(device, TrezorProto.GetAddress(addressN: [0]))
            #expect(try request.decode(TrezorProto.ButtonRequest.self).code == .pinEntry)
            _ = try TrezorSim.send(device, TrezorProto.ButtonAck())
            let typedAnswer = try debug(device, TrezorProto.DebugLinkDecision(input: typed))
            let answer = try #require(typedAnswer.main.first)
            if unlocks {
                #expect(answer.messageType == .address)
            } else {
                #expect(try TrezorSim.failure(answer).code == .pinInvalid)
            }
            #expect(device.isLocked == !unlocks)
        }
    }

    @Test("a decision with nothing waiting is dropped; other debug messages are refused")
    func nothingWaiting() throws {
        let device = try TrezorSim.device()
        let dropped = try debug(device, TrezorProto.DebugLinkDecision(button: .yes))
        #expect(dropped.debug.isEmpty && dropped.main.isEmpty)
        let refused = try debug(device, TrezorProto.GetFeatures())
        #expect(try TrezorSim.failure(try #require(refused.debug.first)).code == .unexpectedMessage)
    }

    @Test("signing a message shows the address and the text before the signature", arguments: [SimulatedTrezor.Model.one, .safe5])
    func messageScreens(_ model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        let signed = try TrezorSim.call(device, TrezorProto.SignMessage(
            addressN: try TrezorSim.path("m/44'/0'/0'/0/0"), message: Array("Transfer 10 USD".utf8), coinName: "Bitcoin"))
        #expect(signed.result.messageType == .messageSignature)
        let screens = device.screensShown
        #expect(screens.count == signed.buttons.count)
        #expect(screens.first?.lines == ["Address:", "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL"])
        #expect(screens.last?.lines == ["Transfer 10 USD"])
    }
}

extension SimulatedTrezorDebugLinkTests {
    @Test("a YES that overtakes the ButtonAck (separate sockets) is kept for the screen and acts once the Ack arrives")
    func pressBeforeAck() throws {
        let device = try waitingDevice()
        let request = try TrezorSim.reply(device, TrezorProto.Ping(message: "early", buttonProtection: true))
        #expect(request.messageType == .buttonRequest)
        let early = try debug(device, TrezorProto.DebugLinkDecision(button: .yes))
        #expect(early.main.isEmpty && early.debug.isEmpty, "nothing happens before the Ack")
        let answer = try TrezorSim.reply(device, TrezorProto.ButtonAck())
        #expect(try answer.decode(TrezorProto.Success.self).message == "early")
    }
}
