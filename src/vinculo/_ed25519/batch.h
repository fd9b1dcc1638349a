/* Batch verification of Ed25519 signatures under one key (batch.c). */
#ifndef vinculo_ed25519_batch_H
#define vinculo_ed25519_batch_H

#include <stddef.h>

/* libsodium's crypto_hash_sha512 and randombytes_buf, whose addresses Python hands over. */
typedef int (*vinculo_sha512_fn)(unsigned char *out, const unsigned char *in, unsigned long long inlen);
typedef void (*vinculo_random_fn)(void *buf, size_t size);

/* 1 if the n signatures (64 bytes each) of msgs[i] (lens[i] bytes) under the 32-byte key pk all hold
 * as a batch, 0 if any does not or memory ran out (verify them one at a time to know which). */
int vinculo_ed25519_batch_holds(size_t n, const unsigned char pk[32], const unsigned char *const *msgs,
                                const size_t *lens, const unsigned char (*sigs)[64], vinculo_sha512_fn sha512,
                                vinculo_random_fn random_bytes);

#endif
