"""The one compiled part: `vinculo._verify_batch`, Ed25519 verification of many signatures with the GIL
released once per batch, in batches per key where it can (see its source and `src/vinculo/_ed25519/`,
which holds the group arithmetic vendored from libsodium). Everything else is in pyproject.toml. It is
optional: without a C compiler the package installs and verifies through ctypes, one call at a time
(`vinculo.sodium`)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "vinculo._verify_batch",
    ["src/vinculo/_verify_batch.c", "src/vinculo/_ed25519/batch.c", "src/vinculo/_ed25519/ed25519_ref10.c"],
    include_dirs=["src/vinculo/_ed25519", "src/vinculo"],
    define_macros=[("HAVE_TI_MODE", "1")],  # 64-bit limbs (libsodium's choice wherever __int128 exists)
    optional=True,
    # hidden: the vendored libsodium functions must not clash with, or be replaced by, libsodium's own
    # symbols in the same process; unused-function: the vendored headers define helpers batch.c skips
    extra_compile_args=["-O2", "-fvisibility=hidden", "-Wno-unused-function"],
)])
