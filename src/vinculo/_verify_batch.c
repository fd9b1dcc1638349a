/* Verify a batch of Ed25519 signatures with the GIL released once for the whole batch.
 *
 * Signatures under one key, when there are at least BATCH_MIN of them, are first checked together
 * (`_ed25519/batch.c`: a few point additions a signature instead of a scalar multiplication); if that
 * batch holds, all of them are valid. Otherwise, and for keys with fewer signatures, each is verified by
 * libsodium's crypto_sign_ed25519_verify_detached, the very function vinculo.sodium calls through
 * ctypes; its address, and those of crypto_hash_sha512 and randombytes_buf, come from there (rbcl's
 * libsodium is loaded by ctypes at run time, so this module links to no libsodium). Through ctypes every
 * call gives the GIL up and must take it back, and a thread busy storing a page holds it most of the
 * time; here a verifying thread takes it once per batch, so verification runs on another core alongside
 * Python work.
 *
 * verify(verify_address, sha512_address, random_address, items) -> list[bool]; each item a tuple
 * (public key: bytes, message: bytes, signature: str of 128 hex digits or None). An item whose key is
 * not 32 bytes, or whose signature is missing or not 128 hex digits, is False; anything that is not such
 * a tuple is a TypeError.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_ed25519/batch.h"

/* Fewer signatures under one key than this are verified one at a time: a batch costs about one
   verification on top of a few point additions a signature. */
#define BATCH_MIN 4

typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                         const unsigned char *pk);

typedef struct {
    const unsigned char *pk;
    const unsigned char *msg;
    Py_ssize_t msg_len;
    const char *sig_hex; /* NULL: no usable signature */
} job;

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 128 hex digits -> 64 bytes; 0 on success, -1 on a character that is not a hex digit. */
static int unhex64(const char *hex, unsigned char out[64]) {
    for (int i = 0; i < 64; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)((hi << 4) | lo);
    }
    return 0;
}

typedef struct {
    verify_fn verify;
    vinculo_sha512_fn sha512;
    vinculo_random_fn random_bytes;
} sodium_fns;

/* ok[i] for every job with a usable signature, key group by key group: a group of BATCH_MIN or more
   that holds as a batch is valid as a whole; anything else is verified one signature at a time.
   Runs without the GIL. Returns -1 if out of memory. */
static int verify_jobs(const sodium_fns *fns, job *jobs, Py_ssize_t n, unsigned char *ok) {
    size_t cap = n > 0 ? (size_t)n : 1;
    unsigned char(*sigs)[64] = malloc(cap * sizeof *sigs);
    unsigned char *usable = calloc(cap, 1);
    unsigned char *grouped = calloc(cap, 1);
    Py_ssize_t *members = malloc(cap * sizeof *members);
    const unsigned char **msgs = malloc(cap * sizeof *msgs);
    size_t *lens = malloc(cap * sizeof *lens);
    unsigned char(*group_sigs)[64] = malloc(cap * sizeof *group_sigs);
    int status = -1;
    if (!sigs || !usable || !grouped || !members || !msgs || !lens || !group_sigs) goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        usable[i] = jobs[i].pk != NULL && jobs[i].sig_hex != NULL && unhex64(jobs[i].sig_hex, sigs[i]) == 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!usable[i] || grouped[i]) continue;
        Py_ssize_t m = 0;
        for (Py_ssize_t j = i; j < n; j++) {
            if (usable[j] && !grouped[j] && (j == i || memcmp(jobs[j].pk, jobs[i].pk, 32) == 0)) {
                grouped[j] = 1;
                members[m] = j;
                msgs[m] = jobs[j].msg;
                lens[m] = (size_t)jobs[j].msg_len;
                memcpy(group_sigs[m], sigs[j], 64);
                m++;
            }
        }
        int all = m >= BATCH_MIN && vinculo_ed25519_batch_holds((size_t)m, jobs[i].pk, msgs, lens,
                                                                (const unsigned char(*)[64])group_sigs,
                                                                fns->sha512, fns->random_bytes);
        for (Py_ssize_t k = 0; k < m; k++) {
            Py_ssize_t j = members[k];
            ok[j] = all || fns->verify(sigs[j], jobs[j].msg, (unsigned long long)jobs[j].msg_len, jobs[j].pk) == 0;
        }
    }
    status = 0;
done:
    free(sigs);
    free(usable);
    free(grouped);
    free(members);
    free(msgs);
    free(lens);
    free(group_sigs);
    return status;
}

static PyObject *verify(PyObject *self, PyObject *args) {
    unsigned long long verify_address, sha512_address, random_address;
    PyObject *items;
    if (!PyArg_ParseTuple(args, "KKKO:verify", &verify_address, &sha512_address, &random_address, &items))
        return NULL;
    if (verify_address == 0 || sha512_address == 0 || random_address == 0) {
        PyErr_SetString(PyExc_ValueError, "verify: an address of a libsodium function is missing");
        return NULL;
    }
    sodium_fns fns = {(verify_fn)(uintptr_t)verify_address, (vinculo_sha512_fn)(uintptr_t)sha512_address,
                      (vinculo_random_fn)(uintptr_t)random_address};
    /* A tuple of the items: the caller's list may change while the GIL is released, the tuple keeps
       every item (and so every buffer below) alive until the end. */
    PyObject *held = PySequence_Tuple(items);
    if (held == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(held);
    job *jobs = PyMem_Calloc(n ? (size_t)n : 1, sizeof(job));
    unsigned char *ok = PyMem_Calloc(n ? (size_t)n : 1, 1);
    if (jobs == NULL || ok == NULL) {
        PyMem_Free(jobs);
        PyMem_Free(ok);
        Py_DECREF(held);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(held, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3 || !PyBytes_Check(PyTuple_GET_ITEM(item, 0))
            || !PyBytes_Check(PyTuple_GET_ITEM(item, 1))) {
            PyErr_Format(PyExc_TypeError, "verify: item %zd is not a (key bytes, message bytes, signature) tuple", i);
            goto fail;
        }
        PyObject *pk = PyTuple_GET_ITEM(item, 0), *msg = PyTuple_GET_ITEM(item, 1), *sig = PyTuple_GET_ITEM(item, 2);
        jobs[i].msg = (const unsigned char *)PyBytes_AS_STRING(msg);
        jobs[i].msg_len = PyBytes_GET_SIZE(msg);
        jobs[i].pk = PyBytes_GET_SIZE(pk) == 32 ? (const unsigned char *)PyBytes_AS_STRING(pk) : NULL;
        if (PyUnicode_Check(sig) && PyUnicode_IS_ASCII(sig) && PyUnicode_GET_LENGTH(sig) == 128) {
            jobs[i].sig_hex = (const char *)PyUnicode_DATA(sig); /* compact ASCII: one byte a character */
        } else if (sig != Py_None && !PyUnicode_Check(sig)) {
            PyErr_Format(PyExc_TypeError, "verify: item %zd's signature is neither text nor None", i);
            goto fail;
        }
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = verify_jobs(&fns, jobs, n, ok);
    Py_END_ALLOW_THREADS
    if (status != 0) {
        PyErr_NoMemory();
        goto fail;
    }
    PyObject *out = PyList_New(n);
    if (out == NULL) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *verdict = ok[i] ? Py_True : Py_False;
        Py_INCREF(verdict);
        PyList_SET_ITEM(out, i, verdict);
    }
    PyMem_Free(jobs);
    PyMem_Free(ok);
    Py_DECREF(held);
    return out;
fail:
    PyMem_Free(jobs);
    PyMem_Free(ok);
    Py_DECREF(held);
    return NULL;
}

static PyMethodDef methods[] = {
    {"verify", verify, METH_VARARGS,
     "verify(verify_address, sha512_address, random_address, items) -> list[bool]: Ed25519 verdicts for "
     "(key, message, signature hex) items, checked in batches per key and otherwise by the libsodium "
     "function at `verify_address`, with the GIL released for the whole call."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_verify_batch", NULL, -1, methods};

PyMODINIT_FUNC PyInit__verify_batch(void) { return PyModule_Create(&module); }
