import BridgeCore
import BridgeDevices
import BridgeUSB
import Foundation
import Glibc

/// `walletbridge-bench usb [--count N]`: exchanges with the wallets on the real USB stack (hidraw through hidapi for a
/// Ledger, libusb for a WebUSB Trezor), each as one request and its whole answer: the wall time per exchange (the
/// wire, the kernel and the device) beside this process's CPU time per exchange (the bridge's own work), so the
/// bridge's share of an exchange is measured on a real path. Run by the VM suite against gadget devices
/// (Tests/VM/guest-usb.sh); on a desk, against whatever is plugged in. Printed, never asserted.
enum KernelUSBBenchmarks {
    struct Figures {
        var exchanges: Int
        var wall: Duration
        var cpu: Duration

        var line: String {
            let wallMicros = Double(wall / .nanoseconds(1)) / 1000 / Double(exchanges)
            let cpuMicros = Double(cpu / .nanoseconds(1)) / 1000 / Double(exchanges)
            return String(format: "%d exchanges: %.0f µs wall, %.0f µs bridge CPU per exchange (%.1f%%)",
                          exchanges, wallMicros, cpuMicros, 100 * cpuMicros / max(wallMicros, 0.001))
        }
    }

    /// User plus system CPU time of this process so far.
    static func processCPU() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
        return .microseconds(micros)
    }

    static func measure(count: Int, _ exchange: () throws -> Void) throws -> Figures {
        try exchange()  // warm up: the first exchange opens interfaces and pages code in
        let cpuStart = processCPU()
        let started = ContinuousClock.now
        for _ in 0..<count { try exchange() }
        return Figures(exchanges: count, wall: ContinuousClock.now - started, cpu: processCPU() - cpuStart)
    }

    static func run(count: Int) throws {
        let deadline = ContinuousClock.now + .seconds(3600)
        var measured = false
        if let ledger = try HIDEnumerator.devices().first(where: { $0.family == .ledger }) {
            let channel = LedgerHIDChannel(link: try HIDLink(path: ledger.path))
            let figures = try measure(count: count) { _ = try channel.run(LedgerGetAppAndVersion(), deadline: deadline) }
            print("Ledger \(ledger.path) (hidraw, B0 01 get app and version): \(figures.line)")
            measured = true
        }
        if let trezor = try WebUSBEnumerator.devices().first {
            let channel = TrezorV1Channel(link: try WebUSBLink(device: trezor))
            let context = TrezorCallContext(deadline: deadline, timeout: .seconds(3600))
            let figures = try measure(count: count) {
                _ = try channel.call(TrezorProto.Ping(message: "bench"), expecting: TrezorProto.Success.self, context)
            }
            print("Trezor \(trezor.path) (WebUSB, Ping): \(figures.line)")
            measured = true
        }
        if !measured { print("no Ledger on hidraw and no WebUSB Trezor: nothing measured") }
    }
}
