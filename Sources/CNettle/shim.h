/* Only the Keccak-f[1600] permutation is used: nettle 3.8 has SHA-3 (0x06 padding) but not Ethereum's
   Keccak-256 (0x01 padding), so BridgeCrypto runs its own sponge around nettle_sha3_permute. */
#include <nettle/sha3.h>
