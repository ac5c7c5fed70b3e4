import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing

/// The device state machine (ledger.md section 7) and the refusals that are not in any recording.
@Suite("Simulated Ledger: states and refusals")
struct SimulatedLedgerStateTests {
    /// B0 01 in the Ethereum app, as recorded.
    let ethereumVersionReply = "0108457468657265756d06312e32322e3001009000"
    let getAddress = "e002000015058000002c8000003c800000000000000000000000"

    func reply(_ device: SimulatedLedger, _ hex: String) throws -> String {
        Hex.encode(device.handle(try SimulatorTest.command(hex)).bytes)
    }

    @Test func lockedDeviceAnswers5515ToEverything() throws {
        let device = try SimulatorTest.device(.init(locked: true))
        for command in ["b001000000", getAddress, "e105000000", "b0a7000000", "e0d8000008457468657265756d"] {
            #expect(try reply(device, command) == "5515", "\(command)")
        }
        #expect(device.openApp == .ethereum)
        device.setLocked(false)
        #expect(try reply(device, "b001000000") == ethereumVersionReply)
    }

    @Test func dashboardNamesBOLOSAndRefusesAppAPDUs() throws {
        let device = try SimulatorTest.device(.init(app: .dashboard))
        #expect(try reply(device, "b001000000") == "0105424f4c4f5305322e322e339000")
        #expect(try reply(device, getAddress) == "6e01")
        #expect(try reply(device, "e105000100") == "6e01")
        let osVersion = try reply(device, "e001000000")
        #expect(osVersion.hasPrefix("33000004"))
        #expect(osVersion.hasSuffix("9000"))
    }

    @Test func openAppAsksTheUser() throws {
        let device = try SimulatorTest.device(.init(approval: .deny, app: .dashboard))
        #expect(try reply(device, "e0d8000008457468657265756d") == "5501")
        #expect(device.openApp == .dashboard)
        #expect(try reply(device, "e0d800000657616c6c6574") == "6807")  // "Wallet" is not installed
        #expect(try reply(device, "e0d8000000") == "670a")
        device.setApproval(.approve)
        #expect(try reply(device, "e0d800000c426974636f696e2054657374") == "9000")  // "Bitcoin Test"
        #expect(device.openApp == .bitcoinTest)
        #expect(try reply(device, "b001000000") == "010c426974636f696e205465737405322e342e3601009000")
    }

    @Test func quitAppReturnsToTheDashboard() throws {
        let device = try SimulatorTest.device()
        #expect(try reply(device, "b0a7000000") == "9000")
        #expect(device.openApp == .dashboard)
        #expect(try reply(device, "b001000000").contains(Hex.encode(Array("BOLOS".utf8))))
        #expect(try reply(device, getAddress) == "6e01")
    }

    @Test func wrongClassAndInstruction() throws {
        let ethereum = try SimulatorTest.device()
        #expect(try reply(ethereum, "e105000000") == "6e00")
        #expect(try reply(ethereum, "e0ff000000") == "6d00")
        #expect(try reply(ethereum, "b0ff000000") == "6d00")
        let bitcoin = try SimulatorTest.device(.init(app: .bitcoin))
        #expect(try reply(bitcoin, getAddress) == "6e00")
        #expect(try reply(bitcoin, "e17f000100") == "6d00")
        #expect(try reply(bitcoin, "e105010000") == "6a86")
        #expect(try reply(bitcoin, "e105000200") == "6a86")
        // A CONTINUE with nothing interrupted.
        #expect(try reply(bitcoin, "f801000100") == "b007")
    }

    @Test func ethereumRefusals() throws {
        let device = try SimulatorTest.device()
        #expect(try reply(device, "e002020015058000002c8000003c800000000000000000000000") == "6b00")
        // A personal-message continuation without a first chunk.
        #expect(try reply(device, "e008800003616263") == "6a80")
        // Transaction type 3 (blobs) is not supported.
        #expect(try reply(device, "e004000017058000002c8000003c80000000000000000000000003c0") == "6501")
        // A transaction with contract data needs blind signing.
        let contractCall = "e004000038058000002c8000003c800000000000000000000000"
            + "02e10180808082520894" + String(repeating: "11", count: 20) + "8082abcdc0"
        #expect(try reply(device, contractCall) == "6a80")
        device.setBlindSigning(true)
        #expect(try reply(device, contractCall).hasSuffix("9000"))
        device.setApproval(.deny)
        #expect(try reply(device, contractCall) == "6985")
    }

    @Test func fullTypedDataRefusedWithoutEitherSetting() throws {
        let device = try SimulatorTest.device(.init(blindSigning: false, rawMessages: false))
        #expect(try reply(device, "e01a00000c454950373132446f6d61696e") == "9000")
        #expect(try reply(device, "e01a00ff0605046e616d65") == "9000")
        #expect(try reply(device, "e01c00000c454950373132446f6d61696e") == "9000")
        #expect(try reply(device, "e01c00ff050003616263") == "6a80")
        // The session is gone: signing now is refused as well.
        #expect(try reply(device, "e00c000115058000002c8000003c800000000000000000000000") == "6a80")
    }

    @Test func bitcoinDisplayedKeyHonoursTheUser() throws {
        let device = try SimulatorTest.device(.init(approval: .deny, app: .bitcoin))
        // m/1'/2' is not a standard path: refused without display, shown (and here refused by the user) with it.
        #expect(try reply(device, "e10000010a000280000001" + "80000002") == "6a82")
        #expect(try reply(device, "e10000010a010280000001" + "80000002") == "6985")
    }
}

/// The Bitcoin app checks what the host answers to its client commands.
@Suite("Simulated Ledger: lying Bitcoin hosts")
struct SimulatedLedgerLyingHostTests {
    let key = "[f5acc2fd/84'/1'/0']tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P"

    func walletAddress(_ host: inout BitcoinTestHost, walletID: [UInt8], hmac: [UInt8] = .init(repeating: 0, count: 32))
        throws -> APDUResponse
    {
        let device = try SimulatorTest.device(.init(app: .bitcoinTest))
        let command = try APDUCommand(cla: 0xE1, ins: 0x03, p1: 0, p2: 1, data: [0x00] + walletID + hmac + [0, 0, 0, 0, 0])
        return try host.run(command, on: device)
    }

    @Test func honestHostGetsTheAddress() throws {
        var host = BitcoinTestHost()
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: key)
        let response = try walletAddress(&host, walletID: walletID)
        #expect(String(decoding: response.data, as: UTF8.self) == "tb1qzdr7s2sr0dwmkwx033r4nujzk86u0cy6fmzfjk")
        // Policy, descriptor, then the key leaf (proof + preimage) twice.
        #expect(host.asked == [0x40, 0x40, 0x41, 0x40, 0x41, 0x40])
    }

    @Test func wrongPreimageIsRefused() throws {
        var host = BitcoinTestHost()
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: key)
        host.lie = { request, answer in
            request.first == 0x40 && answer.count > 3 ? answer.dropLast() + [answer[answer.count - 1] ^ 1] : answer
        }
        #expect(try walletAddress(&host, walletID: walletID).statusWord == 0x6A80)
    }

    @Test func forgedMerkleProofIsRefused() throws {
        var host = BitcoinTestHost()
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: key)
        host.lie = { request, answer in
            request.first == 0x41 ? [answer[0] ^ 1] + answer.dropFirst() : answer
        }
        #expect(try walletAddress(&host, walletID: walletID).statusWord == 0x6A80)
    }

    @Test func someoneElsesKeyIsRefused() throws {
        var host = BitcoinTestHost()
        let foreign = key.replacingFingerprint(with: "deadbeef")
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: foreign)
        #expect(try walletAddress(&host, walletID: walletID).statusWord == 0x6A80)
    }

    @Test func registeredOrNonStandardPoliciesNeedAnHMAC() throws {
        var host = BitcoinTestHost()
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: key)
        #expect(try walletAddress(&host, walletID: walletID, hmac: [UInt8](repeating: 7, count: 32)).statusWord == 0xB008)
        var multisig = BitcoinTestHost()
        let multisigID = multisig.addDefaultPolicy(descriptor: "wsh(multi(1,@0/**))", key: key)
        #expect(try walletAddress(&multisig, walletID: multisigID).statusWord == 0xB008)
    }

    @Test func signMessageChecksTheChunks() throws {
        let device = try SimulatorTest.device(.init(app: .bitcoin))
        let message = Array("hello world".utf8)
        var host = BitcoinTestHost()
        let root = host.addMerkleTree([message])
        let command = try APDUCommand(
            cla: 0xE1, ins: 0x10, p1: 0, p2: 1,
            data: SimulatorTest.encodedPath(try SimulatorTest.path("m/84'/0'/0'/0/0")) + [UInt8(message.count)] + root)
        // Announcing one byte more than the chunks hold is a lie.
        var longer = host
        let lyingCommand = try APDUCommand(
            cla: 0xE1, ins: 0x10, p1: 0, p2: 1,
            data: SimulatorTest.encodedPath(try SimulatorTest.path("m/84'/0'/0'/0/0")) + [UInt8(message.count + 1)] + root)
        #expect(try longer.run(lyingCommand, on: device).statusWord == 0xB007)
        host.lie = { request, answer in request.first == 0x40 ? answer.dropLast() + [0x21] : answer }
        #expect(try host.run(command, on: device).statusWord == 0xB007)
    }

    @Test func newCommandAbandonsAnInterruptedOne() throws {
        let device = try SimulatorTest.device(.init(app: .bitcoin))
        var host = BitcoinTestHost()
        let walletID = host.addDefaultPolicy(descriptor: "wpkh(@0/**)", key: key)
        let first = device.handle(
            try APDUCommand(cla: 0xE1, ins: 0x03, p1: 0, p2: 1, data: [0x00] + walletID + [UInt8](repeating: 0, count: 37)))
        #expect(first.statusWord == 0xE000)
        #expect(Hex.encode(device.handle(try SimulatorTest.command("e105000100")).bytes) == "b007")
        #expect(Hex.encode(device.handle(try SimulatorTest.command("e105000100")).bytes) == "f5acc2fd9000")
    }
}

extension String {
    /// A key-origin string with another master fingerprint.
    func replacingFingerprint(with fingerprint: String) -> String {
        "[" + fingerprint + dropFirst(9)
    }
}
