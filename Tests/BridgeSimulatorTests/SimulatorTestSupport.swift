import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Foundation
import TestVectors
import Testing

/// Test shorthands shared by the simulator suites.
enum SimulatorTest {
    /// A command from hex, failing the test when it does not parse.
    static func command(_ hex: String) throws -> APDUCommand {
        try APDUCommand(parsing: try #require(Hex.decode(hex), "bad hex \(hex)"))
    }

    static func device(_ configuration: SimulatedLedger.Configuration = .init()) throws -> SimulatedLedger {
        try SimulatedLedger(configuration: configuration)
    }

    /// Sends every recorded command of `entry` and checks each response byte for byte; returns how many exchanges
    /// were compared.
    @discardableResult
    static func replay(_ entry: JSONValue, on device: SimulatedLedger) throws -> Int {
        let name = try entry.string("name")
        let exchanges = try entry.array("exchanges")
        try #require(!exchanges.isEmpty, "\(name) has no exchanges")
        for (index, exchange) in exchanges.enumerated() {
            let command = try self.command(try exchange.string("command_hex"))
            let expected = try exchange.string("response_hex")
            let actual = Hex.encode(device.handle(command).bytes)
            #expect(actual == expected, "\(name) exchange \(index + 1) of \(exchanges.count): command \(command)")
        }
        return exchanges.count
    }

    /// The user's decision a recorded entry names.
    static func approval(of entry: JSONValue) -> SimulatedLedger.Approval {
        entry["input"]?["user_action"]?.stringValue == "reject" ? .deny : .approve
    }

    /// The BIP-32 indexes of a path such as "m/84'/1'/0'".
    static func path(_ text: String) throws -> [UInt32] {
        try DerivationPath(parsing: text).indexes
    }

    /// Bitcoin's CompactSize for the lengths tests use (below 2^16).
    static func compactSize(_ value: Int) -> [UInt8] {
        value < 0xFD ? [UInt8(value)] : [0xFD, UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    /// `count | indexes BE`, as Ledger apps take paths.
    static func encodedPath(_ indexes: [UInt32]) -> [UInt8] {
        [UInt8(indexes.count)] + indexes.flatMap { index in (0..<4).map { UInt8(truncatingIfNeeded: index >> (24 - 8 * $0)) } }
    }
}

/// A minimal host side of the Bitcoin app's client commands (GET_PREIMAGE, GET_MERKLE_LEAF_PROOF,
/// GET_MORE_ELEMENTS), as ledger-bitcoin's client answers them, for driving the simulator in tests. `lie` lets a
/// test corrupt answers.
struct BitcoinTestHost {
    var preimages: [[UInt8]: [UInt8]] = [:]
    var trees: [[UInt8]: [[UInt8]]] = [:]
    private var queue: [[UInt8]] = []
    private var queuedElementSize = 0
    /// Rewrites an answer before it is sent: (request, answer) -> answer.
    var lie: (([UInt8], [UInt8]) -> [UInt8])?
    /// The client commands asked so far (their first byte).
    private(set) var asked: [UInt8] = []

    /// Registers data that the device may ask for by SHA-256.
    mutating func addPreimage(_ data: [UInt8]) {
        preimages[Hash.sha256(data)] = data
    }

    /// Registers a Merkle tree of `elements` (and their leaf preimages `00 || element`); returns its root.
    @discardableResult
    mutating func addMerkleTree(_ elements: [[UInt8]]) -> [UInt8] {
        let leaves = elements.map { Hash.sha256([0x00] + $0) }
        for element in elements { addPreimage([0x00] + element) }
        let root = Self.root(leaves[...])
        trees[root] = leaves
        return root
    }

    static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return [UInt8](repeating: 0, count: 32) }
        if leaves.count == 1 { return leaves[leaves.startIndex] }
        let split = largestPowerOfTwo(below: leaves.count)
        let middle = leaves.startIndex + split
        return Hash.sha256([0x01] + root(leaves[..<middle]) + root(leaves[middle...]))
    }

    /// Sibling hashes from the leaf up.
    static func proof(_ leaves: ArraySlice<[UInt8]>, index: Int) -> [[UInt8]] {
        if leaves.count <= 1 { return [] }
        let split = largestPowerOfTwo(below: leaves.count)
        let middle = leaves.startIndex + split
        if index < split { return proof(leaves[..<middle], index: index) + [root(leaves[middle...])] }
        return proof(leaves[middle...], index: index - split) + [root(leaves[..<middle])]
    }

    static func largestPowerOfTwo(below count: Int) -> Int {
        var split = 1
        while split * 2 < count { split *= 2 }
        return split
    }

    mutating func answer(_ request: [UInt8]) throws -> [UInt8] {
        let code = try #require(request.first, "empty client command")
        asked.append(code)
        let answer: [UInt8]
        switch code {
        case 0x40:
            let hash = Array(request.dropFirst(2))
            let preimage = try #require(preimages[hash], "unknown preimage \(Hex.encode(hash))")
            let lengthPrefix = SimulatorTest.compactSize(preimage.count)
            let first = min(preimage.count, 255 - lengthPrefix.count - 1)
            answer = lengthPrefix + [UInt8(first)] + preimage.prefix(first)
            queue = preimage.dropFirst(first).map { [$0] }
            queuedElementSize = 1
        case 0x41:
            let root = Array(request[1..<33])
            let leaves = try #require(trees[root], "unknown Merkle root \(Hex.encode(root))")
            // Both varints are one byte for the trees tests build.
            let index = Int(request[34])
            let proof = Self.proof(leaves[...], index: index)
            let first = min(proof.count, (255 - 32 - 2) / 32)
            answer = leaves[index] + [UInt8(proof.count), UInt8(first)] + proof.prefix(first).flatMap { $0 }
            queue = Array(proof.dropFirst(first))
            queuedElementSize = 32
        case 0xA0:
            let count = min(queue.count, 253 / queuedElementSize)
            answer = [UInt8(count), UInt8(queuedElementSize)] + queue.prefix(count).flatMap { $0 }
            queue.removeFirst(count)
        default:
            Issue.record("unexpected client command \(Hex.encode(request))")
            answer = []
        }
        return lie?(request, answer) ?? answer
    }

    /// Sends `command` and answers client commands (F8 01 00 `protocolVersion`) until the final reply.
    mutating func run(_ command: APDUCommand, on device: SimulatedLedger, protocolVersion: UInt8 = 1) throws -> APDUResponse {
        var response = device.handle(command)
        var rounds = 0
        while response.statusWord == 0xE000 {
            rounds += 1
            try #require(rounds < 1000, "the device keeps asking")
            let next = try APDUCommand(cla: 0xF8, ins: 0x01, p1: 0, p2: protocolVersion, data: try answer(response.data))
            response = device.handle(next)
        }
        return response
    }
}

/// A value another thread sets (a device's answer while the test presses its buttons), awaited with a deadline.
final class Awaited<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `stored` is only touched while holding `condition`.
    private let condition = NSCondition()
    private var stored: Value?

    /// The value if it has been set.
    var value: Value? {
        condition.lock()
        defer { condition.unlock() }
        return stored
    }

    func set(_ value: Value) {
        condition.lock()
        stored = value
        condition.broadcast()
        condition.unlock()
    }

    /// The value once set, or nil after `seconds`.
    func wait(seconds: Double = 10) -> Value? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while stored == nil, condition.wait(until: deadline) {}
        return stored
    }
}
