import _FoundationICU

extension String {
    /// The string in Unicode Normalization Form KD, as BIP-39 wants a phrase and a passphrase before PBKDF2.
    ///
    /// ASCII text is already in NFKD and is returned as is; anything else goes through ICU's normalizer. ICU is the
    /// copy the Swift toolchain ships for swift-foundation (`_FoundationICU`, linked statically with the runtime):
    /// Foundation's own `decomposedStringWithCompatibilityMapping` is the only other NFKD here, and it would bring all
    /// of Foundation into the binary for this one call.
    public var nfkd: String {
        get throws(CryptoError) {
            if utf8.allSatisfy({ $0 < 0x80 }) { return self }
            let source = Array(utf16)
            var status = U_ZERO_ERROR
            guard let normalizer = swift_unorm2_getNFKDInstance(&status), status.rawValue <= U_ZERO_ERROR.rawValue else {
                throw .libraryFailure("ICU's NFKD normalizer is unavailable (UErrorCode \(status.rawValue))")
            }
            // A compatibility decomposition expands each UTF-16 unit to at most 18 (Unicode's longest, U+FDFA);
            // ask ICU for the length first rather than trust a bound.
            var length = swift_unorm2_normalize(normalizer, source, Int32(source.count), nil, 0, &status)
            guard status == U_BUFFER_OVERFLOW_ERROR || status.rawValue <= U_ZERO_ERROR.rawValue else {
                throw .libraryFailure("ICU could not normalize the text to NFKD (UErrorCode \(status.rawValue))")
            }
            var result = [UInt16](repeating: 0, count: Int(length))
            status = U_ZERO_ERROR
            length = swift_unorm2_normalize(normalizer, source, Int32(source.count), &result, length, &status)
            guard status.rawValue <= U_ZERO_ERROR.rawValue, Int(length) == result.count else {
                throw .libraryFailure("ICU could not normalize the text to NFKD (UErrorCode \(status.rawValue))")
            }
            return String(decoding: result, as: UTF16.self)
        }
    }
}
