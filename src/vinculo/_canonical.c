/* plain(value) -> bool: `vinculo.canonical._plain` in C, the check that decides whether orjson may write
 * a value as its RFC 8785 canonical form as it is. A receiver runs it on every record it verifies, where
 * the Python walk cost about 8 us a seizure; this one well under 1.
 *
 * It must answer exactly as the Python function does (a property test compares the two): True only for
 * exact dicts with exact-str ASCII keys, exact lists, exact str, None, bool, exact ints with
 * -2**53 < n < 2**53, and exact floats that `jcs_number` keeps as they are (not integer-valued, with
 * 1e-6 <= |x| < 1e16 and no exponent in their repr); anything else, subclasses included, is False.
 * Nesting deeper than Python's recursion limit raises RecursionError, as the Python walk does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

static int plain(PyObject *value);

static int plain_int(PyObject *value) {
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow) return 0;
    if (n == -1 && PyErr_Occurred()) return -1;
    const long long safe = 9007199254740992LL; /* 2**53 */
    return -safe < n && n < safe;
}

static int plain_float(PyObject *value) {
    double x = PyFloat_AS_DOUBLE(value);
    if (!isfinite(x) || x == floor(x)) return 0; /* integer-valued: jcs_number makes an int of it */
    double a = fabs(x);
    if (!(1e-6 <= a && a < 1e16)) return 0;
    PyObject *repr = PyObject_Repr(value);
    if (repr == NULL) return -1;
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(repr, &len);
    int result = text == NULL ? -1 : memchr(text, 'e', (size_t)len) == NULL;
    Py_DECREF(repr);
    return result;
}

/* 1 plain, 0 not, -1 with an exception set. */
static int plain_container(PyObject *value) {
    if (Py_EnterRecursiveCall(" in the canonical JSON check")) return -1;
    int result = 1;
    if (PyDict_CheckExact(value)) {
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        while (result == 1 && PyDict_Next(value, &pos, &key, &item)) {
            if (!PyUnicode_CheckExact(key) || !PyUnicode_IS_ASCII(key)) {
                result = 0;
            } else {
                Py_INCREF(item); /* a __repr__ of a float subclass cannot run here, but stay safe */
                result = plain(item);
                Py_DECREF(item);
            }
        }
    } else {
        for (Py_ssize_t i = 0; result == 1 && i < PyList_GET_SIZE(value); i++) {
            PyObject *item = PyList_GET_ITEM(value, i);
            Py_INCREF(item);
            result = plain(item);
            Py_DECREF(item);
        }
    }
    Py_LeaveRecursiveCall();
    return result;
}

static int plain(PyObject *value) {
    if (PyUnicode_CheckExact(value) || value == Py_None || PyBool_Check(value)) return 1;
    if (PyLong_CheckExact(value)) return plain_int(value);
    if (PyDict_CheckExact(value) || PyList_CheckExact(value)) return plain_container(value);
    if (PyFloat_CheckExact(value)) return plain_float(value);
    return 0;
}

static PyObject *plain_py(PyObject *self, PyObject *value) {
    int result = plain(value);
    if (result < 0) return NULL;
    return PyBool_FromLong(result);
}

static PyMethodDef methods[] = {
    {"plain", plain_py, METH_O,
     "plain(value) -> bool: True if orjson's sorted output of value is its RFC 8785 form (vinculo.canonical)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_canonical", NULL, -1, methods};

PyMODINIT_FUNC PyInit__canonical(void) { return PyModule_Create(&module); }
