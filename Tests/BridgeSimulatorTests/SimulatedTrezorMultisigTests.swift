import BridgeCore
import BridgeDevices
import BridgeSimulator
import Testing

/// Multisig GetAddress for the three script types, against the addresses trezor-firmware's own device tests expect
/// of the "all all" seed (trezor/trezor-firmware tests/device_tests/bitcoin/test_getaddress.py `test_multisig`,
/// test_getaddress_segwit.py and test_getaddress_segwit_native.py `test_show_multisig_3`). As there, the cosigners'
/// nodes come from the device itself (accounts 1, 2 and 3), and every cosigner gets the same address.
@Suite("Simulated Trezor: multisig addresses")
struct SimulatedTrezorMultisigTests {
    func node(_ device: SimulatedTrezor, _ path: String, coin: String) throws -> TrezorProto.HDNodeType {
        let request = TrezorProto.GetPublicKey(addressN: try TrezorSim.path(path), coinName: coin)
        return try TrezorSim.reply(device, request).decode(TrezorProto.PublicKey.self).node
    }

    func address(_ device: SimulatedTrezor, _ path: String, coin: String, _ multisig: TrezorProto.MultisigRedeemScriptType,
                 _ scriptType: TrezorProto.InputScriptType) throws -> TrezorWireMessage {
        try TrezorSim.call(device, TrezorProto.GetAddress(addressN: try TrezorSim.path(path), coinName: coin, multisig: multisig,
                                                          scriptType: scriptType)).result
    }

    @Test("bare P2SH 2-of-3 (pubkeys with their own paths): 3Pdz86KtfJBuHLcSv4DysJo4aQfanTqCzG, 36gP3KVx1ooStZ9quZDXbAF3GCr42b2zzd",
          arguments: [SimulatedTrezor.Model.one, .safe5])
    func p2sh(_ model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        let nodes = try (1...3).map { try node(device, "m/44'/0'/\($0)'", coin: "Bitcoin") }
        func multisig(_ chain: UInt32) -> TrezorProto.MultisigRedeemScriptType {
            TrezorProto.MultisigRedeemScriptType(
                pubkeys: nodes.map { TrezorProto.HDNodePathType(node: $0, addressN: [chain, 0]) }, signatures: [[], [], []], m: 2)
        }
        for account in 1...3 {
            let receive = try address(device, "m/44'/0'/\(account)'/0/0", coin: "Bitcoin", multisig(0), .spendMultisig)
            #expect(try receive.decode(TrezorProto.Address.self).address == "3Pdz86KtfJBuHLcSv4DysJo4aQfanTqCzG")
            let change = try address(device, "m/44'/0'/\(account)'/1/0", coin: "Bitcoin", multisig(1), .spendAddress)
            #expect(try change.decode(TrezorProto.Address.self).address == "36gP3KVx1ooStZ9quZDXbAF3GCr42b2zzd")
        }
    }

    @Test("P2SH-P2WSH and P2WSH 2-of-3 on Testnet (nodes with a shared path)")
    func segwit() throws {
        let device = try TrezorSim.device()
        let nested = try (1...3).map { try node(device, "m/49'/1'/\($0)'", coin: "Testnet") }
        let native = try (1...3).map { try node(device, "m/84'/1'/\($0)'", coin: "Testnet") }
        for account in 1...3 {
            let p2shP2wsh = TrezorProto.MultisigRedeemScriptType(signatures: [[], [], []], m: 2, nodes: nested, addressN: [0, 7])
            let wrapped = try address(device, "m/49'/1'/\(account)'/0/7", coin: "Testnet", p2shP2wsh, .spendP2SHWitness)
            #expect(try wrapped.decode(TrezorProto.Address.self).address == "2MwuUwUzPG17wiKQpfXmzfxJEoe7RXZDRad")
            let p2wsh = TrezorProto.MultisigRedeemScriptType(signatures: [[], [], []], m: 2, nodes: native, addressN: [0, 0])
            let bech32 = try address(device, "m/84'/1'/\(account)'/0/0", coin: "Testnet", p2wsh, .spendWitness)
            #expect(try bech32.decode(TrezorProto.Address.self).address
                    == "tb1qgvn67p4twmpqhs8c39tukmu9geamtf7x0z3flwf9rrw4ff3h6d2qt0czq3")
        }
    }

    @Test("refusals: the device's key missing, m above n, a hardened step below an xpub")
    func refusals() throws {
        let device = try TrezorSim.device()
        let nodes = try (1...3).map { try node(device, "m/84'/0'/\($0)'", coin: "Bitcoin") }
        let multisig = TrezorProto.MultisigRedeemScriptType(signatures: [[], [], []], m: 2, nodes: nodes, addressN: [0, 0])
        let missing = try TrezorSim.failure(try address(device, "m/84'/0'/0'/0/0", coin: "Bitcoin", multisig, .spendWitness))
        #expect(missing.code == .dataError && missing.message == "Pubkey not found in multisig script")
        var tooMany = multisig
        tooMany.m = 4
        let invalid = try TrezorSim.failure(try address(device, "m/84'/0'/1'/0/0", coin: "Bitcoin", tooMany, .spendWitness))
        #expect(invalid.message == "Invalid multisig parameters")
        var hardened = multisig
        hardened.addressN = [0x8000_0000, 0]
        let refused = try TrezorSim.failure(try address(device, "m/84'/0'/1'/0/0", coin: "Bitcoin", hardened, .spendWitness))
        #expect(refused.message == "Cannot perform hardened derivation from XPUB")
    }
}
