import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Foundation
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// The device commands with a Trezor: the in-process `sim:trezor` transport and its knobs, PIN and passphrase
/// handling (`--pin`, the terminal grid, `--passphrase-on-host`), and Trezors found on USB (legacy HID, WebUSB) in
/// fake environments backed by simulated Trezors.
@Suite("Trezor device commands")
struct TrezorCommandTests {
    typealias Support = TrezorTestSupport
    let simulated = ["--transport", "sim:trezor"]
    var address: [String] { ["address", "--path", Support.ethPath] }

    @Test("sim:trezor answers as the seed dictates; every model; enumerate shows it ready with its firmware")
    func simulatedTrezor() async throws {
        for model in ["one", "t", "safe3", "safe5"] {
            let result = await Support.run(address + simulated + ["--sim-model", model])
            #expect(result.exitCode == 0, "\(model): \(result.stdout) \(result.stderr)")
            #expect(try result.json()["address"]?.stringValue == Support.ethAddress, "\(model)")
        }
        let listed = await Support.run(["enumerate"] + simulated)
        #expect(listed.exitCode == 0, "\(listed.stdout)")
        let entry = try #require(try listed.json().arrayValue?.first)
        #expect(entry["id"] == "sim:trezor")
        #expect(entry["type"] == "trezor")
        #expect(entry["model"] == "safe5")
        #expect(entry["transport"] == "sim")
        #expect(entry["state"] == "ready")
        #expect(entry["app"]?["name"] == "Trezor Safe 5")
        #expect(entry["app"]?["version"]?.stringValue?.hasPrefix("2.") == true)

        let one = await Support.run(["enumerate"] + simulated + ["--sim-model", "one"])
        let oneEntry = try #require(try one.json().arrayValue?.first)
        #expect(oneEntry["model"] == "one")
        #expect(oneEntry["app"]?["name"] == "Trezor One")
    }

    @Test("--sim-approve deny: the signature is rejected on the device, code -7 as JSON")
    func denied() async throws {
        let result = await Support.run(["sign-message", "--path", Support.ethPath, "--message", "hello"] + simulated
                                       + ["--sim-approve", "deny"])
        #expect(result.exitCode == 1)
        #expect(result.errorCode == -7, "\(result.stdout)")
        #expect(result.hint.isEmpty == false)
    }

    @Test("Trezor One PIN matrix: --pin with a fixed layout works; a wrong --pin is -5; none without a terminal is -5 with the hint")
    func pinMatrix() async throws {
        let locked = simulated + ["--sim-model", "one", "--sim-device-pin", "1234", "--sim-pin-layout", "123456789"]
        let right = await Support.run(address + locked + ["--pin", "1234"])
        #expect(right.exitCode == 0, "\(right.stdout) \(right.stderr)")
        #expect(try right.json()["address"]?.stringValue == Support.ethAddress)

        // With a scrambled grid the positions differ from the digits: 7 is at position 1, 3 at 2, 9 at 3, ...
        let scrambled = simulated + ["--sim-model", "one", "--sim-device-pin", "1234", "--sim-pin-layout", "739154826"]
        // Digits 1 2 3 4 sit at positions 4 8 2 6 of the grid 7 3 9 1 5 4 8 2 6.
        let positions = await Support.run(address + scrambled + ["--pin", "4826"])
        #expect(positions.exitCode == 0, "\(positions.stdout) \(positions.stderr)")
        let digits = await Support.run(address + scrambled + ["--pin", "1234"])
        #expect(digits.errorCode == -5, "the digits themselves are the wrong positions: \(digits.stdout)")

        let wrong = await Support.run(address + locked + ["--pin", "4321"])
        #expect(wrong.exitCode == 1)
        #expect(wrong.errorCode == -5, "\(wrong.stdout)")
        #expect(wrong.errorMessage.contains("PIN"), "\(wrong.errorMessage)")
        #expect(wrong.hint.contains("--pin"), "\(wrong.hint)")

        let none = await Support.run(address + locked)
        #expect(none.exitCode == 1)
        #expect(none.errorCode == -5, "\(none.stdout)")
        #expect(none.hint.contains("--pin"), "\(none.hint)")

        // --sim-locked is the PIN 1234 not yet entered.
        let simLocked = await Support.run(address + simulated + ["--sim-model", "one", "--sim-locked", "--sim-pin-layout", "123456789"])
        #expect(simLocked.errorCode == -5)
        let listed = await Support.run(["enumerate"] + simulated + ["--sim-model", "one", "--sim-locked"])
        #expect(try listed.json().arrayValue?.first?["state"] == "locked", "\(listed.stdout)")
    }

    @Test("Without --pin at a terminal: the grid is drawn on stderr and the positions typed are sent")
    func pinOnTerminal() async throws {
        let typed = Mutex<[String]>(["", "12x4", "1234"])
        let asked = Mutex(0)
        let prompt = TrezorPINPrompt(isAvailable: { true }, readHiddenLine: {
            asked.withLock { $0 += 1 }
            return typed.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        })
        var environment = Support.nonInteractive
        environment.pinPrompt = prompt
        let locked = simulated + ["--sim-model", "one", "--sim-device-pin", "1234", "--sim-pin-layout", "123456789"]

        // An empty line gives up: -5.
        let gaveUp = await Support.run(address + locked, environment: environment)
        #expect(gaveUp.errorCode == -5, "\(gaveUp.stdout)")
        #expect(gaveUp.stderr.contains("7 8 9"))
        #expect(gaveUp.stderr.contains("4 5 6"))
        #expect(gaveUp.stderr.contains("1 2 3"))

        // "12x4" is not positions and is asked again; "1234" then unlocks.
        let unlocked = await Support.run(address + locked, environment: environment)
        #expect(unlocked.exitCode == 0, "\(unlocked.stdout) \(unlocked.stderr)")
        #expect(try unlocked.json()["address"]?.stringValue == Support.ethAddress)
        #expect(unlocked.stderr.contains("Only the positions 1-9"))
        #expect(asked.withLock { $0 } == 3)
        #expect(!unlocked.stdout.contains("1234"), "the PIN never reaches stdout")
    }

    @Test("Passphrase: from the host (--passphrase-on-host) on a Trezor One, typed on the device on a Safe 5")
    func passphrase() async throws {
        let onHost = await Support.run(address + simulated + ["--sim-model", "one", "--sim-passphrase", "TREZOR",
                                                              "--passphrase-on-host", "TREZOR"])
        #expect(onHost.exitCode == 0, "\(onHost.stdout) \(onHost.stderr)")
        #expect(try onHost.json()["address"]?.stringValue == Support.ethAddressWithPassphraseTREZOR)

        let onDevice = await Support.run(address + simulated + ["--sim-passphrase", "TREZOR"])
        #expect(onDevice.exitCode == 0, "\(onDevice.stdout) \(onDevice.stderr)")
        #expect(try onDevice.json()["address"]?.stringValue == Support.ethAddressWithPassphraseTREZOR)

        // Passphrase protection off: the standard wallet.
        let standard = await Support.run(address + simulated)
        #expect(try standard.json()["address"]?.stringValue == Support.ethAddress)
    }

    @Test("--passphrase-on-host - reads the passphrase as one line from standard input, never from argv")
    func passphraseFromStandardInput() async throws {
        let arguments = address + simulated + ["--sim-model", "one", "--sim-passphrase", "TREZOR", "--passphrase-on-host", "-"]
        for input in ["TREZOR\n", "TREZOR\r\n", "TREZOR"] {
            let result = await DeviceEnvironment.$current.withValue(Support.nonInteractive) {
                await runCLI(arguments, stdin: Array(input.utf8))
            }
            #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
            #expect(try result.json()["address"]?.stringValue == Support.ethAddressWithPassphraseTREZOR)
        }
        // Another line (a wrong passphrase) opens another wallet, as on the device.
        let wrong = await DeviceEnvironment.$current.withValue(Support.nonInteractive) {
            await runCLI(arguments, stdin: Array("trezor\nTREZOR\n".utf8))
        }
        #expect(try wrong.json()["address"]?.stringValue != Support.ethAddressWithPassphraseTREZOR)
    }

    @Test("A locked Safe 5 (--sim-locked) is listed locked; the simulated user enters the PIN on the device")
    func lockedSafe5() async throws {
        let listed = await Support.run(["enumerate"] + simulated + ["--sim-locked"])
        #expect(try listed.json().arrayValue?.first?["state"] == "locked", "\(listed.stdout)")
        let result = await Support.run(address + simulated + ["--sim-locked"])
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        #expect(try result.json()["address"]?.stringValue == Support.ethAddress)
    }

    @Test("Bad knobs and transports are usage errors (exit 2, -10)")
    func usageErrors() async throws {
        let cases: [[String]] = [
            address + simulated + ["--sim-model", "safe7"],
            address + simulated + ["--sim-pin-layout", "12345678"],
            address + simulated + ["--sim-pin-layout", "123456788"],
            address + simulated + ["--sim-device-pin", "12a4"],
            address + simulated + ["--pin", "0123"],
            address + simulated + ["--pin", "abc"],
            address + ["--transport", "udp:127.0.0.1"],
            address + ["--transport", "udp:127.0.0.1:0"],
            address + ["--transport", "sim:trezr"],
            ["simulate", "trezor", "--model", "x"],
            ["simulate", "trezor", "--pin-layout", "1"],
        ]
        for arguments in cases {
            let result = await Support.run(arguments)
            #expect(result.exitCode == 2, "\(arguments): \(result.stdout)")
            #expect(result.errorCode == -10, "\(arguments)")
        }
    }

    @Test("The transport forms parse to what they name")
    func transportParsing() throws {
        #expect(try DeviceTransport(parsing: nil, commandLine: "x") == .usb)
        #expect(try DeviceTransport(parsing: "webusb", commandLine: "x") == .webUSB)
        #expect(try DeviceTransport(parsing: "sim:trezor", commandLine: "x") == .simulatedTrezor)
        #expect(try DeviceTransport(parsing: "udp:127.0.0.1:21324", commandLine: "x") == .trezorEmulator(host: "127.0.0.1", port: 21324))
        #expect(try DeviceTransport(parsing: "udp:[::1]:21324", commandLine: "x") == .trezorEmulator(host: "::1", port: 21324))
    }

    @Test("USB: a legacy-HID Trezor One and a WebUSB Safe 5 are listed together and chosen by id (or the dotted form)")
    func usbDevices() async throws {
        let one = HIDDeviceInfo(path: "/dev/hidraw2", vendorID: 0x534C, productID: 0x0001, family: .trezor, model: "one",
                                interfaceNumber: 0, usagePage: 0xFF00)
        let safe5 = WebUSBDeviceInfo(busNumber: 1, portNumbers: [2, 1], releaseNumber: 0x0200, serialNumber: "ABC")
        var oneWithPIN = Support.configuration(.one, pin: "1234", layout: Array(1...9))
        oneWithPIN.label = "desk one"
        let environment = try Support.usbEnvironment(hid: [(one, oneWithPIN)], webUSB: [(safe5, Support.configuration(.safe5))])

        let listed = await Support.run(["enumerate"], environment: environment)
        #expect(listed.exitCode == 0, "\(listed.stdout)")
        let entries = try #require(try listed.json().arrayValue)
        #expect(entries.map { $0["id"]?.stringValue } == ["hid:/dev/hidraw2", "webusb:001:2:1"])
        #expect(entries.map { $0["transport"]?.stringValue } == ["hid", "webusb"])
        #expect(entries.map { $0["model"]?.stringValue } == ["one", "safe5"])
        #expect(entries.map { $0["state"]?.stringValue } == ["locked", "ready"])

        let ambiguous = await Support.run(address, environment: environment)
        #expect(ambiguous.errorCode == -2)
        #expect(ambiguous.errorMessage.contains("webusb:001:2:1 (trezor core)"), "\(ambiguous.errorMessage)")

        let webUSB = await Support.run(address + ["--device", "webusb:001:2:1"], environment: environment)
        #expect(try webUSB.json()["address"]?.stringValue == Support.ethAddress, "\(webUSB.stdout)")
        let dotted = await Support.run(address + ["--device", "webusb:001:2.1"], environment: environment)
        #expect(dotted.exitCode == 0, "\(dotted.stdout)")

        let hid = await Support.run(address + ["--transport", "hid", "--pin", "1234"], environment: environment)
        #expect(try hid.json()["address"]?.stringValue == Support.ethAddress, "\(hid.stdout)")
        let onlyWebUSB = await Support.run(["enumerate", "--transport", "webusb"], environment: environment)
        #expect(try onlyWebUSB.json().arrayValue?.map { $0["id"]?.stringValue } == ["webusb:001:2:1"])
    }

    @Test("Help documents the Trezor options: device selection, sim: knobs, simulate trezor")
    func help() async throws {
        let addressHelp = await runCLI(["address", "--help"])
        for option in ["--pin POSITIONS", "--passphrase-on-host P", "--sim-model", "--sim-device-pin PIN",
                       "--sim-pin-layout DIGITS", "--sim-approve", "--sim-locked", "--sim-delay-ms", "--sim-app", "udp:HOST:PORT",
                       "webusb", "sim:trezor"] {
            #expect(addressHelp.stdout.contains(option), "\(option)")
        }
        let simulateHelp = await runCLI(["simulate", "trezor", "--help"])
        #expect(simulateHelp.exitCode == 0)
        for option in ["--mnemonic M", "--passphrase P", "--host H", "--port N", "--approve", "--locked", "--model",
                       "--device-pin PIN", "--pin-layout DIGITS", "--delay-ms N", "21324", "PINGPING"] {
            #expect(simulateHelp.stdout.contains(option), "\(option)")
        }
        let simulate = await runCLI(["simulate", "--help"])
        #expect(simulate.stdout.contains("trezor"))
    }
}
