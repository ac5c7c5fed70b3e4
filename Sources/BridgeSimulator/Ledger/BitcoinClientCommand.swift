import BridgeCrypto
import BridgeDevices

/// One step of a Bitcoin-app command that may need data from the host: either the final reply, or a client
/// command sent with SW E000 whose answer (the host's `F8 01` APDU) resumes the command
/// (LedgerHQ/app-bitcoin-new doc/bitcoin.md, "Client commands"; ../shared/reference/ledger.md section 5).
enum BitcoinStep: Sendable {
    typealias Resume = @Sendable (_ answer: [UInt8]) throws(APDUFailure) -> BitcoinStep

    case ask(_ request: [UInt8], _ resume: Resume)
    case reply(APDUResponse)
}

/// The client commands the simulated Bitcoin app asks, each checking what the host answers: preimages must hash to
/// what was asked and Merkle proofs must lead to the root, or the command fails with the caller's status word.
/// Codes from app-bitcoin-new src/handler/client_commands.h.
enum BitcoinClientCommand {
    static let getPreimage: UInt8 = 0x40
    static let getMerkleLeafProof: UInt8 = 0x41
    static let getMoreElements: UInt8 = 0xA0

    /// GET_PREIMAGE `40 00 hash` -> `varint(len) | b | first b bytes`, the rest through GET_MORE_ELEMENTS; the
    /// preimage must SHA-256 to `hash` and hold at most `maximumLength` bytes.
    static func preimage(
        of hash: [UInt8], maximumLength: Int, failure: UInt16, then next: @escaping BitcoinStep.Resume
    ) -> BitcoinStep {
        .ask([getPreimage, 0x00] + hash) { answer throws(APDUFailure) in
            var reader = ByteReader(answer)
            let length = try reader.varint(or: failure)
            let partCount = Int(try reader.u8(or: failure))
            let part = try reader.bytes(partCount, or: failure)
            guard reader.isAtEnd, length <= UInt64(maximumLength), partCount <= Int(length) else { throw APDUFailure(failure) }
            return try moreElements(part, needed: Int(length), elementSize: 1, failure: failure) { preimage throws(APDUFailure) in
                guard Hash.sha256(preimage) == hash else { throw APDUFailure(failure) }
                return try next(preimage)
            }
        }
    }

    /// The data of leaf `index` of the Merkle tree of `count` leaves under `root`: GET_MERKLE_LEAF_PROOF
    /// `41 root varint(count) varint(index)` -> `leafHash | proofLength | p | p hashes` (the rest through
    /// GET_MORE_ELEMENTS), checked against the root, then GET_PREIMAGE of the leaf hash, which must be `00 || data`.
    static func merkleLeaf(
        root: [UInt8], count: Int, index: Int, maximumLength: Int, failure: UInt16, then next: @escaping BitcoinStep.Resume
    ) -> BitcoinStep {
        .ask([getMerkleLeafProof] + root + compactSize(count) + compactSize(index)) { answer throws(APDUFailure) in
            var reader = ByteReader(answer)
            let leafHash = try reader.bytes(32, or: failure)
            let proofLength = Int(try reader.u8(or: failure))
            let partCount = Int(try reader.u8(or: failure))
            let part = try reader.bytes(partCount * 32, or: failure)
            guard reader.isAtEnd, partCount <= proofLength else { throw APDUFailure(failure) }
            return try moreElements(part, needed: proofLength, elementSize: 32, failure: failure) { proofBytes throws(APDUFailure) in
                let proof = stride(from: 0, to: proofBytes.count, by: 32).map { Array(proofBytes[$0..<$0 + 32]) }
                guard MerkleTree.root(fromLeafHash: leafHash, index: index, count: count, proof: proof) == root else {
                    throw APDUFailure(failure)
                }
                return preimage(of: leafHash, maximumLength: maximumLength + 1, failure: failure) { leaf throws(APDUFailure) in
                    // doc/merkle.md: a leaf hash is SHA-256(0x00 || data).
                    guard leaf.first == 0x00 else { throw APDUFailure(failure) }
                    return try next(Array(leaf.dropFirst()))
                }
            }
        }
    }

    /// Asks GET_MORE_ELEMENTS (`A0` -> `count | elementSize | elements`) until `needed` elements are in.
    private static func moreElements(
        _ collected: [UInt8], needed: Int, elementSize: Int, failure: UInt16, then next: @escaping BitcoinStep.Resume
    ) throws(APDUFailure) -> BitcoinStep {
        if collected.count == needed * elementSize { return try next(collected) }
        return .ask([getMoreElements]) { answer throws(APDUFailure) in
            var reader = ByteReader(answer)
            let count = Int(try reader.u8(or: failure))
            guard Int(try reader.u8(or: failure)) == elementSize, count > 0 else { throw APDUFailure(failure) }
            let elements = try reader.bytes(count * elementSize, or: failure)
            guard reader.isAtEnd, collected.count + elements.count <= needed * elementSize else { throw APDUFailure(failure) }
            return try moreElements(collected + elements, needed: needed, elementSize: elementSize, failure: failure, then: next)
        }
    }
}
