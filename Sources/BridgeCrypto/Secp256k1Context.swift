import CSecp256k1

/// The one libsecp256k1 context the process shares.
///
/// After creation and randomisation a context is only read, and libsecp256k1 documents read-only use of a context as
/// thread-safe (secp256k1.h, "A constructed context can safely be used from multiple threads simultaneously").
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let raw: OpaquePointer

    private init() {
        // SECP256K1_CONTEXT_NONE: the SIGN/VERIFY flags are deprecated no-ops in 0.2.0 (build-notes.md section 1).
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            preconditionFailure("secp256k1_context_create failed")
        }
        // Randomising blinds the signing operations against side channels; failure to get randomness leaves
        // the context valid but unblinded, which is still correct.
        if var seed = try? SecureBytes.random(count: 32) {
            _ = secp256k1_context_randomize(context, &seed)
        }
        raw = context
    }
}
