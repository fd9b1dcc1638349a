/* Batch verification of Ed25519 signatures made with one public key.
 *
 * For signatures (R_i, S_i) of messages M_i under key A, with h_i = SHA-512(R_i || A || M_i) mod L and
 * random 128-bit z_i, the batch holds when
 *
 *     8 * ( sum z_i R_i  -  (sum z_i S_i) B  +  (sum z_i h_i) A )  =  0
 *
 * (Bernstein, Duif, Lange, Schwabe, Yang, "High-speed high-security signatures", section 5). One
 * double scalar multiplication for the two sums of scalars, and one multi-scalar multiplication of the
 * R_i by 128-bit scalars (Pippenger's bucket method) for the rest: a few point additions a signature
 * instead of a whole scalar multiplication.
 *
 * What it accepts: every check libsodium's crypto_sign_ed25519_verify_detached makes on the encodings
 * is made here first (S canonical, R and A canonical and not of small order), so a batch holds only if
 * each signature passes those. The equation is the cofactored one, as in ed25519-dalek's verify_batch
 * and ZIP 215: it also holds for a signature whose R the key's own holder offset by a point of small
 * order on purpose, which one-at-a-time verification rejects. Nobody without the secret key can make
 * such a signature; for anything else (a forgery, an altered message or signature, another key) the
 * batch fails, except with probability about 2^-127 over the z_i, and the caller then verifies one at a
 * time to name the bad signatures.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "private/ed25519_ref10.h"

static void p3_identity(ge25519_p3 *p) {
    fe25519_0(p->X);
    fe25519_1(p->Y);
    fe25519_1(p->Z);
    fe25519_0(p->T);
}

/* p += q (q cached). The addition formula is complete: it also doubles and adds the identity. */
static void add_cached(ge25519_p3 *p, const ge25519_cached *q) {
    ge25519_p1p1 t;
    ge25519_add(&t, p, q);
    ge25519_p1p1_to_p3(p, &t);
}

static void add_p3(ge25519_p3 *p, const ge25519_p3 *q) {
    ge25519_cached c;
    ge25519_p3_to_cached(&c, q);
    add_cached(p, &c);
}

static void dbl(ge25519_p3 *p) {
    ge25519_p3 copy = *p;
    add_p3(p, &copy);
}

static int is_identity(const ge25519_p3 *p) {
    fe25519 y_minus_z;
    fe25519_sub(y_minus_z, p->Y, p->Z);
    return fe25519_iszero(p->X) && fe25519_iszero(y_minus_z);
}

/* Bits [first, first + width) of a 128-bit little-endian scalar. */
static unsigned digit(const unsigned char z[16], unsigned first, unsigned width) {
    unsigned v = 0;
    for (unsigned k = 0; k < width && first + k < 128; k++) {
        unsigned b = first + k;
        v |= (unsigned)((z[b >> 3] >> (b & 7)) & 1) << k;
    }
    return v;
}

/* The window width that makes Pippenger's method cheapest for n points and 128-bit scalars:
   ceil(128 / c) windows, each costing n additions into buckets and about 2^(c+1) to sum them. */
static unsigned window_width(size_t n) {
    unsigned best = 1;
    double best_cost = 0;
    for (unsigned c = 1; c <= 12; c++) {
        double cost = (double)((128 + c - 1) / c) * ((double)n + 2.0 * (double)(1u << c));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* out = sum z_i P_i; -1 if out of memory. */
static int multiscalar(ge25519_p3 *out, const ge25519_cached *points, const unsigned char (*z)[16], size_t n) {
    unsigned c = window_width(n);
    size_t buckets_n = (size_t)1 << c;
    ge25519_p3 *buckets = malloc(buckets_n * sizeof *buckets);
    unsigned char *used = malloc(buckets_n);
    if (buckets == NULL || used == NULL) {
        free(buckets);
        free(used);
        return -1;
    }
    unsigned windows = (128 + c - 1) / c;
    p3_identity(out);
    for (unsigned w = windows; w-- > 0;) {
        for (unsigned k = 0; k < c; k++) dbl(out);
        memset(used, 0, buckets_n);
        for (size_t i = 0; i < n; i++) {
            unsigned d = digit(z[i], w * c, c);
            if (d == 0) continue;
            if (!used[d]) {
                p3_identity(&buckets[d]);
                used[d] = 1;
            }
            add_cached(&buckets[d], &points[i]);
        }
        /* sum over d of d * bucket[d], as a running sum from the top bucket down */
        ge25519_p3 running, total;
        p3_identity(&running);
        p3_identity(&total);
        for (size_t d = buckets_n - 1; d >= 1; d--) {
            if (used[d]) add_p3(&running, &buckets[d]);
            add_p3(&total, &running);
        }
        add_p3(out, &total);
    }
    free(buckets);
    free(used);
    return 0;
}

int vinculo_ed25519_batch_holds(size_t n, const unsigned char pk[32], const unsigned char *const *msgs,
                                const size_t *lens, const unsigned char (*sigs)[64], vinculo_sha512_fn sha512,
                                vinculo_random_fn random_bytes) {
    if (n == 0) return 1;
    if (ge25519_is_canonical(pk) == 0 || ge25519_has_small_order(pk) != 0) return 0;
    ge25519_p3 neg_a;
    if (ge25519_frombytes_negate_vartime(&neg_a, pk) != 0) return 0;

    size_t longest = 0;
    for (size_t i = 0; i < n; i++)
        if (lens[i] > longest) longest = lens[i];
    ge25519_cached *points = malloc(n * sizeof *points);
    unsigned char(*z)[16] = malloc(n * sizeof *z);
    unsigned char *hashed = malloc(64 + longest);
    int holds = 0;
    if (points == NULL || z == NULL || hashed == NULL) goto done;

    random_bytes(z, n * sizeof *z);
    unsigned char sum_s[32] = {0}, sum_h[32] = {0};
    for (size_t i = 0; i < n; i++) {
        const unsigned char *sig = sigs[i];
        if (sc25519_is_canonical(sig + 32) == 0 || ge25519_is_canonical(sig) == 0 ||
            ge25519_has_small_order(sig) != 0)
            goto done;
        ge25519_p3 r;
        if (ge25519_frombytes(&r, sig) != 0) goto done;
        ge25519_p3_to_cached(&points[i], &r);

        unsigned char h[64];
        memcpy(hashed, sig, 32);
        memcpy(hashed + 32, pk, 32);
        memcpy(hashed + 64, msgs[i], lens[i]);
        if (sha512(h, hashed, (unsigned long long)(64 + lens[i])) != 0) goto done;
        sc25519_reduce(h);

        z[i][0] |= 1; /* never 0, which would leave signature i out of the sum */
        unsigned char zi[32] = {0};
        memcpy(zi, z[i], 16);
        sc25519_muladd(sum_s, zi, sig + 32, sum_s);
        sc25519_muladd(sum_h, zi, h, sum_h);
    }

    /* expected = (sum z_i h_i)(-A) + (sum z_i S_i) B, which is sum z_i R_i when every signature holds */
    ge25519_p2 expected2;
    ge25519_double_scalarmult_vartime(&expected2, sum_h, &neg_a, sum_s);
    ge25519_p3 expected;
    fe25519_mul(expected.X, expected2.X, expected2.Z);
    fe25519_mul(expected.Y, expected2.Y, expected2.Z);
    fe25519_sq(expected.Z, expected2.Z);
    fe25519_mul(expected.T, expected2.X, expected2.Y);

    ge25519_p3 found;
    if (multiscalar(&found, points, (const unsigned char(*)[16])z, n) != 0) goto done;
    ge25519_cached expected_c;
    ge25519_p3_to_cached(&expected_c, &expected);
    ge25519_p1p1 diff1;
    ge25519_sub(&diff1, &found, &expected_c);
    ge25519_p3 diff;
    ge25519_p1p1_to_p3(&diff, &diff1);
    dbl(&diff);
    dbl(&diff);
    dbl(&diff);
    holds = is_identity(&diff);
done:
    free(points);
    free(z);
    free(hashed);
    return holds;
}
