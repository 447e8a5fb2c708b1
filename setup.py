"""Builds the simulator's compiled event loop; everything else about the package is in pyproject.toml.

The extension is optional: where it cannot be compiled (no C compiler), the install still succeeds
and the simulator runs the same loop in plain Python, bit for bit the same and much slower; the CLI
says so when it happens (docs/simulator.md). It uses only the Python C API (numpy arrays arrive
through the buffer protocol), so building needs no numpy headers.
"""
import hashlib
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = "dynapspec/sim/_kernel.c"


class BuildKernel(build_ext):
    """Optimise for speed on GCC/Clang (-O3 vectorises the neuron updates; some Pythons build with -O2)."""

    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args += ["-O3", "-std=c99"]
        super().build_extensions()


# the loader compares this with the source beside it, so a checkout edited since its build is noticed
digest = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()
kernel = Extension(
    "dynapspec.sim._kernel", [SOURCE], optional=True, define_macros=[("KERNEL_SOURCE_SHA256", f'"{digest}"')]
)
setup(ext_modules=[kernel], cmdclass={"build_ext": BuildKernel})
