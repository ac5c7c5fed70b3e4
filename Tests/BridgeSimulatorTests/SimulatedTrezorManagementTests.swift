import BridgeCore
import BridgeDevices
import BridgeSimulator
import Testing

/// The management messages trezorctl and HWI send besides the ones the bridge uses (CONTRACT 6), answered as the
/// firmware does (trezor/trezor-firmware legacy/firmware/fsm_msg_common.h, core/src/apps/management/*).
@Suite("Simulated Trezor: management messages")
struct SimulatedTrezorManagementTests {
    /// trezorlib 0.20's `ensure_unlocked` after Initialize: ApplyFlags(flags=0), which the simulator refused before
    /// (Safe 5 "Unexpected message", One "Unknown message"), failing every trezorctl command after get-features.
    @Test("ApplyFlags(0) answers Success(\"Flags applied\") on every model, after the PIN on a locked One",
          arguments: [SimulatedTrezor.Model.one, .t, .safe3, .safe5])
    func applyFlagsUnlocksAndAnswers(_ model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        let answer = try TrezorSim.reply(device, TrezorProto.ApplyFlags(flags: 0))
        #expect(try answer.decode(TrezorProto.Success.self).message == "Flags applied")
    }

    @Test("On a PIN-protected One, ApplyFlags asks for the PIN through the matrix, then applies the bits")
    func applyFlagsOnALockedOne() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        let request = try TrezorSim.reply(device, TrezorProto.ApplyFlags(flags: 0b101))
        #expect(try request.decode(TrezorProto.PinMatrixRequest.self).type == .current)
        let answer = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "7894"))
        #expect(try answer.decode(TrezorProto.Success.self).message == "Flags applied")
        #expect(!device.isLocked)
        // Bits are only added (messages-management.proto: "can only set bits, not unset").
        _ = try TrezorSim.reply(device, TrezorProto.ApplyFlags(flags: 0b010))
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.flags == 0b111)
    }

    @Test("ApplyFlags without its required flags field is refused as a malformed message")
    func applyFlagsNeedsItsField() throws {
        #expect(throws: DeviceError.self) { try TrezorProto.ApplyFlags(protobuf: []) }
        #expect(TrezorProto.ApplyFlags(flags: 300).protobuf() == [0x08, 0xAC, 0x02])
    }

    @Test("LockDevice locks a PIN-protected device again: the next call asks for the PIN", arguments: [
        (SimulatedTrezor.Model.one, "Session cleared" as String?), (.safe5, nil),
    ])
    func lockDeviceLocks(_ model: SimulatedTrezor.Model, _ text: String?) throws {
        let device = try TrezorSim.device {
            $0.model = model
            $0.pin = "1234"
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        let unlock = try TrezorSim.reply(device, TrezorProto.ApplyFlags(flags: 0))
        if model == .one {
            #expect(unlock.messageType == .pinMatrixRequest)
            _ = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "7894"))
        } else {
            // core asks on its own screen, where the simulated user types the PIN.
            #expect(unlock.messageType == .buttonRequest)
            _ = try TrezorSim.reply(device, TrezorProto.ButtonAck())
        }
        #expect(!device.isLocked)
        let locked = try TrezorSim.reply(device, TrezorProto.LockDevice())
        #expect(try locked.decode(TrezorProto.Success.self).message == text)
        #expect(device.isLocked)
        let again = try TrezorSim.reply(device, TrezorProto.ApplyFlags(flags: 0))
        #expect(again.messageType == (model == .one ? .pinMatrixRequest : .buttonRequest))
    }
}
