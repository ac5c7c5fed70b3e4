/// A native segwit address (BIP-173 / BIP-350): witness version 0...16 and a witness program, Bech32-encoded.
public struct SegwitAddress: Equatable, Sendable {
    /// The human-readable part in lowercase ("bc" mainnet, "tb" testnet).
    public let hrp: String
    /// The witness version, 0...16.
    public let witnessVersion: Int
    /// The witness program, 2...40 bytes (exactly 20 or 32 for version 0).
    public let program: [UInt8]
    /// The address text, lowercase as BIP-173 says encoders must write it.
    public let string: String

    /// An address from its parts; throws when they break a BIP-141/BIP-173/BIP-350 rule.
    public init(hrp: String, witnessVersion: Int, program: [UInt8]) throws(CryptoError) {
        try Self.checkProgram(witnessVersion: witnessVersion, program: program)
        let values = [UInt8(witnessVersion)] + Bech32.fiveBitValues(program)
        let string: String
        do {
            string = try Bech32.encode(hrp: hrp, values: values, variant: Self.variant(for: witnessVersion))
        } catch {
            throw Self.addressError(error)
        }
        // Bech32.encode accepted the HRP, so it is ASCII and lowercases byte for byte.
        self.init(validatedHRP: hrp.lowercased(), witnessVersion: witnessVersion, program: program, string: string)
    }

    /// Parses an address. With `expectedHRP` ("bc", "tb"), any other human-readable part is refused.
    public init(decoding address: String, expectedHRP: String? = nil) throws(CryptoError) {
        let decoded: (hrp: String, values: [UInt8], variant: Bech32.Variant)
        do {
            decoded = try Bech32.decode(address)
        } catch {
            throw Self.addressError(error)
        }
        if let expectedHRP, decoded.hrp != expectedHRP.lowercased() {
            throw .invalidAddress("segwit address has human-readable part '\(decoded.hrp)', expected '\(expectedHRP.lowercased())'")
        }
        guard let version = decoded.values.first else {
            throw .invalidAddress("segwit address has an empty data part: no witness version")
        }
        guard version <= 16 else {
            throw .invalidAddress("segwit witness version is \(version); it must be 0...16")
        }
        let program: [UInt8]
        do {
            program = try Bech32.convertBits(Array(decoded.values.dropFirst()), fromBits: 5, toBits: 8, pad: false)
        } catch {
            throw Self.addressError(error)
        }
        try Self.checkProgram(witnessVersion: Int(version), program: program)
        // Checked last, as the BIP-350 reference decoder does, so the BIP-173 reasons still apply to v1+ strings.
        let expectedVariant = Self.variant(for: Int(version))
        guard decoded.variant == expectedVariant else {
            // bitcoin/bips bip-0350.mediawiki, "Addresses for segregated witness outputs".
            throw .invalidAddress("segwit version \(version) address uses a \(decoded.variant) checksum; it must use \(expectedVariant)")
        }
        // Decoding proved the text ASCII and single-case, so lowercasing gives the canonical form.
        self.init(validatedHRP: decoded.hrp, witnessVersion: Int(version), program: program, string: address.lowercased())
    }

    /// A version-0 address from a 20- or 32-byte program and a known-good HRP: cannot fail.
    init(version0Program program: [UInt8], network: BitcoinNetwork) {
        let values = [0] + Bech32.fiveBitValues(program)
        self.init(validatedHRP: network.bech32HRP, witnessVersion: 0, program: program,
                  string: Bech32.encodeValidated(hrp: Array(network.bech32HRP.utf8), values: values, variant: .bech32))
    }

    private init(validatedHRP: String, witnessVersion: Int, program: [UInt8], string: String) {
        self.hrp = validatedHRP
        self.witnessVersion = witnessVersion
        self.program = program
        self.string = string
    }

    /// The output script: OP_0 or OP_1...OP_16, then a push of the program (bitcoin/bips bip-0141.mediawiki,
    /// "Witness program").
    public var scriptPubKey: [UInt8] {
        // OP_0 is 0x00; OP_1...OP_16 are 0x51...0x60.
        let versionOpcode = witnessVersion == 0 ? 0 : UInt8(0x50 + witnessVersion)
        return [versionOpcode, UInt8(program.count)] + program
    }

    static func variant(for witnessVersion: Int) -> Bech32.Variant {
        witnessVersion == 0 ? .bech32 : .bech32m
    }

    static func checkProgram(witnessVersion: Int, program: [UInt8]) throws(CryptoError) {
        guard (0...16).contains(witnessVersion) else {
            throw .invalidAddress("segwit witness version is \(witnessVersion); it must be 0...16")
        }
        // bitcoin/bips bip-0141.mediawiki, "Witness program": 2 to 40 bytes; version 0 is P2WPKH (20) or P2WSH (32).
        guard (2...40).contains(program.count) else {
            throw .invalidAddress("segwit witness program is \(program.count) bytes; it must be 2...40")
        }
        guard witnessVersion != 0 || program.count == 20 || program.count == 32 else {
            throw .invalidAddress("segwit version 0 program is \(program.count) bytes; it must be 20 (P2WPKH) or 32 (P2WSH)")
        }
    }

    /// Restates a Bech32 failure as an address failure, keeping its explanation.
    static func addressError(_ error: CryptoError) -> CryptoError {
        if case .invalidEncoding(let why) = error { return .invalidAddress("segwit address: \(why)") }
        return error
    }
}
