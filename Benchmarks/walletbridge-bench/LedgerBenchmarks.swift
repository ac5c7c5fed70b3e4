import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Foundation

/// `walletbridge-bench ledger`: APDU round trips through the in-process simulated Ledger, and the bridge's own CPU
/// time per exchange compared with what USB allows.
///
/// A Ledger's HID endpoints are interrupt endpoints with bInterval 1 at full speed: at most one 64-byte frame per
/// millisecond each way (ledger.md section 1.2, ledger-secure-sdk `usbd_ledger_hid.c`). The host-side figure replays
/// recorded reply frames, so it counts only what the bridge does (framing, reassembly, status-word checks, the
/// operation's state machine and reply decoding) and none of the simulator's key derivation or signing.
struct LedgerBenchmarks {
    let harness: BenchmarkHarness

    /// One USB full-speed HID frame interval.
    static let frameInterval: Duration = .milliseconds(1)
    static let farDeadline = ContinuousClock.now.advanced(by: .seconds(86_400 * 365))

    /// One measured operation: how to start it and what it exchanges.
    struct Scenario: Sendable {
        let name: String
        let run: @Sendable (any APDUChannel) throws -> Void
    }

    static let path = (try? DerivationPath(parsing: "m/44'/60'/0'/0/0")) ?? DerivationPath(indexes: [])
    static let message = Array(String(repeating: "WalletBridge approves transfer 42. ", count: 12).utf8.prefix(400))

    static let scenarios = [
        Scenario(name: "B0 01 get app and version") { channel in
            blackHole(try channel.run(LedgerGetAppAndVersion(), deadline: farDeadline))
        },
        Scenario(name: "E0 02 get ETH address") { channel in
            blackHole(try channel.run(LedgerEthereumGetAddress(path: path), deadline: farDeadline))
        },
        Scenario(name: "E0 08 personal_sign, 400 B") { channel in
            blackHole(try channel.run(LedgerEthereumSignPersonalMessage(path: path, message: message), deadline: farDeadline))
        },
    ]

    func run() throws {
        print("walletbridge-bench ledger (best of \(harness.rounds) rounds of \(harness.roundDuration))")
        print()
        print("Through the in-process simulated Ledger (LedgerHIDChannel over SimulatedLedgerLink; simulator crypto included):")
        print(Report.pad("operation", 30) + Report.pad("APDUs/op", 10, right: true) + Report.pad("frames/op", 11, right: true)
            + Report.pad("ops/s", 12, right: true) + Report.pad("APDU round trips/s", 20, right: true)
            + Report.pad("frame bytes/s", 16, right: true))
        var recordings: [(Scenario, FrameRecording)] = []
        for scenario in Self.scenarios {
            let recording = try record(scenario)
            recordings.append((scenario, recording))
            let channel = LedgerHIDChannel(link: SimulatedLedgerLink(device: try Self.simulator()))
            let rate = try harness.operationsPerSecond { try scenario.run(channel) }
            let frames = recording.framesPerOperation
            print(Report.pad(scenario.name, 30) + Report.pad("\(recording.exchanges.count)", 10, right: true)
                + Report.pad("\(frames)", 11, right: true) + Report.pad(Report.format(rate), 12, right: true)
                + Report.pad(Report.format(rate * Double(recording.exchanges.count)), 20, right: true)
                + Report.pad(Report.format(rate * Double(frames * LedgerHIDFraming.frameSize)), 16, right: true))
        }

        print()
        print("Host side only (recorded reply frames replayed: framing + reassembly + operation state machine + decoding):")
        print(Report.pad("operation", 30) + Report.pad("ops/s", 12, right: true) + Report.pad("CPU/exchange", 14, right: true)
            + Report.pad("of one 1 ms frame", 19, right: true) + Report.pad("CPU/frame", 12, right: true))
        var worst = 0.0
        for (scenario, recording) in recordings {
            let channel = LedgerHIDChannel(link: FrameReplayLink(recording))
            let rate = try harness.operationsPerSecond { try scenario.run(channel) }
            let perExchange = 1 / rate / Double(recording.exchanges.count)
            let perFrame = 1 / rate / Double(recording.framesPerOperation)
            let fraction = perExchange / Self.seconds(Self.frameInterval)
            worst = max(worst, fraction)
            print(Report.pad(scenario.name, 30) + Report.pad(Report.format(rate), 12, right: true)
                + Report.pad(String(format: "%.2f µs", perExchange * 1e6), 14, right: true)
                + Report.pad(String(format: "%.3f%%", fraction * 100), 19, right: true)
                + Report.pad(String(format: "%.2f µs", perFrame * 1e6), 12, right: true))
        }
        print()
        print("USB full speed moves at most one 64-byte HID frame per 1 ms interval each way, so an exchange takes at least")
        print("1 ms per frame on the wire; the host's share of an exchange is its CPU time against that.")
        print("target: host CPU per exchange under 1% of one frame interval: worst \(String(format: "%.3f%%", worst * 100)) "
            + (worst < 0.01 ? "met" : "NOT met"))
    }

    /// A simulated Ledger as an operator's device is set up (Ethereum app open, every prompt approved).
    static func simulator() throws -> SimulatedLedger {
        try SimulatedLedger(configuration: SimulatedLedger.Configuration())
    }

    /// Runs `scenario` once against the simulator and keeps every frame each way.
    func record(_ scenario: Scenario) throws -> FrameRecording {
        let recorder = RecordingLink(SimulatedLedgerLink(device: try Self.simulator()))
        try scenario.run(LedgerHIDChannel(link: recorder))
        return recorder.recording
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The frames of one operation: per APDU exchange, the request frames and the reply frames.
struct FrameRecording {
    var exchanges: [(request: [[UInt8]], reply: [[UInt8]])] = []

    var framesPerOperation: Int { exchanges.reduce(0) { $0 + $1.request.count + $1.reply.count } }
}

/// A link that passes frames through to another and keeps a copy of them.
final class RecordingLink: DeviceLink, @unchecked Sendable {
    private let inner: any DeviceLink
    private(set) var recording = FrameRecording()
    private var replying = false
    var endpoint: String { inner.endpoint }

    init(_ inner: any DeviceLink) {
        self.inner = inner
    }

    func send(_ packet: [UInt8]) throws(DeviceError) {
        if replying || recording.exchanges.isEmpty {
            recording.exchanges.append(([], []))
            replying = false
        }
        recording.exchanges[recording.exchanges.count - 1].request.append(packet)
        try inner.send(packet)
    }

    func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let frame = try inner.receive(timeout: timeout)
        if let frame {
            replying = true
            recording.exchanges[recording.exchanges.count - 1].reply.append(frame)
        }
        return frame
    }

    func close() { inner.close() }
}

/// Replays a ``FrameRecording`` over and over: each request frame is checked against the recorded one (a different
/// request is a failure, not a silent mismatch), and after an exchange's last request frame its reply frames are
/// handed out. Its own work is a 64-byte comparison per frame sent, so nearly all the time measured is the bridge's.
final class FrameReplayLink: DeviceLink, @unchecked Sendable {
    let endpoint = "replay:ledger-frames"
    private let recording: FrameRecording
    private var exchange = 0
    private var requestFrame = 0
    private var replyFrame = 0
    private var replying = false

    init(_ recording: FrameRecording) {
        self.recording = recording
    }

    func send(_ packet: [UInt8]) throws(DeviceError) {
        let expected = recording.exchanges[exchange].request
        guard requestFrame < expected.count, packet == expected[requestFrame] else {
            throw .protocolError("replay: request frame \(requestFrame) of exchange \(exchange) differs from the recording")
        }
        requestFrame += 1
        if requestFrame == expected.count {
            replying = true
            replyFrame = 0
        }
    }

    func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard replying else { return nil }
        let replies = recording.exchanges[exchange].reply
        let frame = replies[replyFrame]
        replyFrame += 1
        if replyFrame == replies.count {
            replying = false
            requestFrame = 0
            exchange = (exchange + 1) % recording.exchanges.count
        }
        return frame
    }

    func close() {}
}
