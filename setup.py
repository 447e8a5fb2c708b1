"""Builds the compiled event loops; everything else about the package is in pyproject.toml.

Two small C extensions: the chip simulator's loop (dynapspec/sim/_kernel.c) and the float model's
(dynapspec/evaluate/_floatloop.c). Both are optional: where one cannot be compiled (no C
compiler), the install still succeeds and its plain-Python twin runs the same loop, bit for bit
the same and much slower; the CLI says so when it happens (docs/simulator.md). They use only the
Python C API (numpy arrays arrive through the buffer protocol), so building needs no numpy headers.
"""
import hashlib
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

LOOPS = {"dynapspec.sim._kernel": "KERNEL_SOURCE_SHA256", "dynapspec.evaluate._floatloop": "FLOATLOOP_SOURCE_SHA256"}


class BuildLoops(build_ext):
    """Optimise for speed on GCC/Clang (-O3 vectorises the neuron updates; some Pythons build with -O2)."""

    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args += ["-O3", "-std=c99"]
        super().build_extensions()


def loop(name: str, macro: str) -> Extension:
    """One optional extension, told the SHA-256 of its source: the loader compares it with the
    source beside it, so a checkout edited since its build is noticed (dynapspec/compiled.py)."""
    source = name.replace(".", "/") + ".c"
    digest = hashlib.sha256((Path(__file__).parent / source).read_bytes()).hexdigest()
    return Extension(name, [source], optional=True, define_macros=[(macro, f'"{digest}"')])


setup(ext_modules=[loop(name, macro) for name, macro in LOOPS.items()], cmdclass={"build_ext": BuildLoops})
