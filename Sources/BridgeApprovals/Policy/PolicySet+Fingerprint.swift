import BridgeCore
import BridgeCrypto

extension PolicySet {
    /// SHA-256 (lowercase hex) of the canonical JSON of ``json``: equal sets have equal fingerprints however their
    /// configuration was written (key order, `"1"` or `"1.00000000"`), so the audit chain records real policy changes
    /// and only those.
    public var fingerprint: String {
        Hex.encode(Hash.sha256(Array(json.serialized(.canonical).utf8)))
    }
}
