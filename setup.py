"""The compiled parts, both optional (without a C compiler the package installs and runs on the pure
Python and ctypes paths, more slowly). Everything else is in pyproject.toml.

- `vinculo._verify_batch`: Ed25519 verification of many signatures with the GIL released once per batch,
  in batches per key where it can (see its source and `src/vinculo/_ed25519/`, which holds the group
  arithmetic vendored from libsodium); without it, `vinculo.sodium` verifies one ctypes call at a time.
- `vinculo._canonical`: the check that lets orjson write a value's RFC 8785 form as it is
  (`vinculo.canonical._plain`, which it replaces when built)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("vinculo._canonical", ["src/vinculo/_canonical.c"], optional=True,
                             extra_compile_args=["-O2"]), Extension(
    "vinculo._verify_batch",
    ["src/vinculo/_verify_batch.c", "src/vinculo/_ed25519/batch.c", "src/vinculo/_ed25519/ed25519_ref10.c"],
    include_dirs=["src/vinculo/_ed25519", "src/vinculo"],
    define_macros=[("HAVE_TI_MODE", "1")],  # 64-bit limbs (libsodium's choice wherever __int128 exists)
    optional=True,
    # hidden: the vendored libsodium functions must not clash with, or be replaced by, libsodium's own
    # symbols in the same process; unused-function: the vendored headers define helpers batch.c skips
    extra_compile_args=["-O2", "-fvisibility=hidden", "-Wno-unused-function"],
)])
