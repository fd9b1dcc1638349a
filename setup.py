"""The one compiled part: `vinculo._verify_batch`, a loop over libsodium's Ed25519 verify that releases
the GIL once per batch (see its source). Everything else is in pyproject.toml. It is optional: without
a C compiler the package installs and verifies through ctypes, one call at a time (`vinculo.sodium`)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("vinculo._verify_batch", ["src/vinculo/_verify_batch.c"], optional=True,
                             extra_compile_args=["-O2"])])
