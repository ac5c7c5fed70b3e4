import BridgeCrypto

/// A protocol-v1 session as trezorlib opens and resumes it (FW python/src/trezorlib/client.py `SessionV1`,
/// ../shared/reference/trezor.md section 4, steps 2-3).
///
/// The first ``activate(on:_:)`` sends `Initialize(derive_cardano=false)`, derives the wallet with the root-fingerprint
/// request `GetPublicKey(m/0', secp256k1, coin "Bitcoin", SPENDADDRESS, ignore_xpub_magic)` (which is where the
/// device asks for the PIN and the passphrase) and refreshes Features with `GetFeatures`. Later activations send
/// `Initialize(session_id)`: sessions are not isolated, so another program may have switched them in between. A
/// different id back means the device lost the session (evicted, replugged): it is derived again.
public struct TrezorSession: Sendable {
    /// The device's session id (32 bytes), once opened.
    public private(set) var sessionID: [UInt8]?
    /// The latest Features.
    public private(set) var features: TrezorProto.Features?
    /// The master key's fingerprint, from the root-fingerprint request.
    public private(set) var rootFingerprint: UInt32?

    public init() {}

    /// The root-fingerprint request trezorlib sends when it opens a session (client.py `GET_ROOT_FINGERPRINT_MESSAGE`).
    public static let rootFingerprintRequest = TrezorProto.GetPublicKey(
        addressN: [DerivationPath.hardenedOffset], ecdsaCurveName: "secp256k1", showDisplay: false, coinName: "Bitcoin",
        scriptType: .spendAddress, ignoreXpubMagic: true)

    /// Opens or resumes the session; returns the current Features.
    @discardableResult
    public mutating func activate(on channel: TrezorV1Channel, _ context: TrezorCallContext) throws(DeviceError)
        -> TrezorProto.Features
    {
        if let sessionID {
            let resumed = try initialize(TrezorProto.Initialize(sessionID: sessionID), on: channel, context)
            // Resumed and already derived: nothing more to do. (A derivation cut short, e.g. by a wrong PIN, is redone.)
            if resumed.sessionID == sessionID, rootFingerprint != nil { return resumed }
            self.sessionID = resumed.sessionID
            rootFingerprint = nil
        } else {
            let opened = try initialize(TrezorProto.Initialize(deriveCardano: false), on: channel, context)
            sessionID = opened.sessionID
        }
        try derive(on: channel, context)
        return try refreshFeatures(on: channel, context)
    }

    /// Features from GetFeatures: no session change, no prompt (the session id is kept from Initialize).
    @discardableResult
    public mutating func refreshFeatures(on channel: TrezorV1Channel, _ context: TrezorCallContext) throws(DeviceError)
        -> TrezorProto.Features
    {
        let fresh = try channel.call(TrezorProto.GetFeatures(), expecting: TrezorProto.Features.self, context)
        try fresh.checkVendor()
        features = fresh
        return fresh
    }

    /// Forgets the session (the next activation opens a new one).
    public mutating func reset() {
        sessionID = nil
        rootFingerprint = nil
    }

    private mutating func initialize(_ request: TrezorProto.Initialize, on channel: TrezorV1Channel, _ context: TrezorCallContext)
        throws(DeviceError) -> TrezorProto.Features
    {
        let reply = try channel.call(request, expecting: TrezorProto.Features.self, context)
        try reply.checkVendor()
        if reply.initialized == false { throw .notInitialized }
        features = reply
        return reply
    }

    /// The root-fingerprint request: the device asks for the PIN and the passphrase here if it needs them.
    private mutating func derive(on channel: TrezorV1Channel, _ context: TrezorCallContext) throws(DeviceError) {
        var context = context
        context.passphraseEntryOnDevice = features?.canEnterPassphraseOnDevice ?? false
        let root = try channel.call(Self.rootFingerprintRequest, expecting: TrezorProto.PublicKey.self, context)
        // root_fingerprint is new (core 2.5+); m/0''s parent fingerprint is the master's on every firmware.
        rootFingerprint = root.rootFingerprint ?? root.node.fingerprint
    }
}
