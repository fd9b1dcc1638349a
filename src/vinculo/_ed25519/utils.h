/* Vinculo's stand-in for libsodium's utils.h: sodium_is_zero, the one function of it that the vendored
 * field arithmetic calls (constant time, as libsodium's). */
#ifndef vinculo_sodium_utils_H
#define vinculo_sodium_utils_H

#include <stddef.h>

static inline int
sodium_is_zero(const unsigned char *n, const size_t nlen)
{
    volatile unsigned char d = 0U;
    for (size_t i = 0U; i < nlen; i++) {
        d |= n[i];
    }
    return 1 & ((d - 1) >> 8);
}

#endif
