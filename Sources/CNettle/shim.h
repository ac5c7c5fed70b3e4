#include <stddef.h>
#include <stdint.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/pbkdf2.h>
#include <nettle/ripemd160.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
/* Keccak-256: nettle 3.8 has SHA-3 (0x06 padding) but not Ethereum's Keccak-256 (0x01 padding), so BridgeCrypto runs
   its own sponge around nettle_sha3_permute. */
#include <nettle/sha3.h>

/*
 * One-shot digests, MACs and PBKDF2 over nettle's streaming API (BridgeCrypto's Hash). Nettle rather than libcrypto:
 * the command-line tool then loads one small library instead of OpenSSL's 4.5 MB one at every start (issue 16).
 * Nettle's names are macros (sha256_init is nettle_sha256_init), which Swift cannot call: so these are C. The
 * `length` argument of the *_digest calls is nettle 3.8's (Debian 12); nettle 3.10 dropped it.
 */
#define WALLETBRIDGE_NETTLE_DIGEST(name, context, init, update, digest, size) \
    static inline void walletbridge_##name(const uint8_t *data, size_t length, uint8_t *out) \
    { \
        struct context state; \
        init(&state); \
        update(&state, length, data); \
        digest(&state, size, out); \
    }
WALLETBRIDGE_NETTLE_DIGEST(sha1, sha1_ctx, sha1_init, sha1_update, sha1_digest, SHA1_DIGEST_SIZE)
WALLETBRIDGE_NETTLE_DIGEST(sha256, sha256_ctx, sha256_init, sha256_update, sha256_digest, SHA256_DIGEST_SIZE)
WALLETBRIDGE_NETTLE_DIGEST(sha512, sha512_ctx, sha512_init, sha512_update, sha512_digest, SHA512_DIGEST_SIZE)
WALLETBRIDGE_NETTLE_DIGEST(ripemd160, ripemd160_ctx, ripemd160_init, ripemd160_update, ripemd160_digest,
                           RIPEMD160_DIGEST_SIZE)

#define WALLETBRIDGE_NETTLE_HMAC(name, context, set_key, update, digest, size) \
    static inline void walletbridge_##name(const uint8_t *key, size_t key_length, const uint8_t *data, \
                                           size_t length, uint8_t *out) \
    { \
        struct context state; \
        set_key(&state, key_length, key); \
        update(&state, length, data); \
        digest(&state, size, out); \
    }
WALLETBRIDGE_NETTLE_HMAC(hmac_sha256, hmac_sha256_ctx, hmac_sha256_set_key, hmac_sha256_update, hmac_sha256_digest,
                         SHA256_DIGEST_SIZE)
WALLETBRIDGE_NETTLE_HMAC(hmac_sha512, hmac_sha512_ctx, hmac_sha512_set_key, hmac_sha512_update, hmac_sha512_digest,
                         SHA512_DIGEST_SIZE)

static inline void walletbridge_pbkdf2_hmac_sha512(const uint8_t *password, size_t password_length, const uint8_t *salt,
                                                   size_t salt_length, unsigned iterations, uint8_t *out, size_t length)
{
    pbkdf2_hmac_sha512(password_length, password, iterations, salt_length, salt, length, out);
}

/* 1 when equal, in time that depends only on `length`. */
static inline int walletbridge_memeql_sec(const void *a, const void *b, size_t length)
{
    return memeql_sec(a, b, length);
}
