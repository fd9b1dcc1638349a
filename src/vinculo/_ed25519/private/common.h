/* Vinculo's stand-in for libsodium's private/common.h: only what ed25519_ref10.c and its fe_51
 * headers use (COMPILER_ASSERT, CRYPTO_ALIGN, uint128_t, LOAD64_LE, STORE64_LE), written portably. */
#ifndef vinculo_sodium_common_H
#define vinculo_sodium_common_H

#include <stdint.h>
#include <string.h>

#if !defined(__SIZEOF_INT128__)
# error "the vendored Ed25519 code is built with 64-bit limbs and needs a compiler with __int128"
#endif
#ifndef HAVE_TI_MODE
# error "build with HAVE_TI_MODE defined (setup.py does): only the 64-bit-limb field code is vendored"
#endif
typedef unsigned __int128 uint128_t;

#define CRYPTO_ALIGN(x) __attribute__((aligned(x)))

#define COMPILER_ASSERT(X) (void) sizeof(char[(X) ? 1 : -1])

#define LOAD64_LE(SRC) load64_le(SRC)
static inline uint64_t
load64_le(const uint8_t src[8])
{
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--) {
        w = (w << 8) | src[i];
    }
    return w;
}

#define STORE64_LE(DST, W) store64_le((DST), (W))
static inline void
store64_le(uint8_t dst[8], uint64_t w)
{
    for (int i = 0; i < 8; i++) {
        dst[i] = (uint8_t) w;
        w >>= 8;
    }
}

#endif
