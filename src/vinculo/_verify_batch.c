/* Verify a batch of Ed25519 signatures with the GIL released once for the whole batch.
 *
 * The verifying itself is libsodium's crypto_sign_ed25519_verify_detached, the very function
 * vinculo.sodium calls through ctypes; its address comes from there (rbcl's libsodium is loaded by
 * ctypes at run time, so this module links to nothing). Through ctypes every call gives the GIL up
 * and must take it back, and a thread busy storing a page holds it most of the time; here a verifying
 * thread takes it once per batch, so verification runs on another core alongside Python work.
 *
 * verify(address, items) -> list[bool]; each item a tuple (public key: bytes, message: bytes,
 * signature: str of 128 hex digits or None). An item whose key is not 32 bytes, or whose signature is
 * missing or not 128 hex digits, is False; anything that is not such a tuple is a TypeError.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

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

static PyObject *verify(PyObject *self, PyObject *args) {
    unsigned long long address;
    PyObject *items;
    if (!PyArg_ParseTuple(args, "KO:verify", &address, &items)) return NULL;
    if (address == 0) {
        PyErr_SetString(PyExc_ValueError, "verify: no address for libsodium's verify function");
        return NULL;
    }
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
    verify_fn fn = (verify_fn)(uintptr_t)address;
    Py_BEGIN_ALLOW_THREADS
    unsigned char sig[64];
    for (Py_ssize_t i = 0; i < n; i++) {
        if (jobs[i].pk != NULL && jobs[i].sig_hex != NULL && unhex64(jobs[i].sig_hex, sig) == 0)
            ok[i] = fn(sig, jobs[i].msg, (unsigned long long)jobs[i].msg_len, jobs[i].pk) == 0;
    }
    Py_END_ALLOW_THREADS
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
     "verify(address, items) -> list[bool]: Ed25519 verdicts for (key, message, signature hex) items, "
     "by the libsodium function at `address`, with the GIL released for the whole batch."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_verify_batch", NULL, -1, methods};

PyMODINIT_FUNC PyInit__verify_batch(void) { return PyModule_Create(&module); }
