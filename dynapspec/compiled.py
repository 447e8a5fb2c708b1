"""The compiled loops (C extensions that setup.py builds at install): load one, or say why not.

Each compiled loop has a plain-Python twin that computes the same bit for bit, so an install
without a C compiler still works, only slower. Each extension records the SHA-256 of the C file
it was built from (setup.py), so that in a source checkout a C file edited since the last build is
noticed instead of silently running the old code.
"""
from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Callable, Optional, Tuple

SWITCH = "DYNAPSPEC_SIM_KERNEL"  # =python: run the plain-Python loops (the simulator's and the float model's)


def load(name: str, source: Path, matches: Callable[[ModuleType], bool]) -> Tuple[Optional[ModuleType], str]:
    """The extension module ``name`` and "", or None and why it cannot be used.

    ``source``: the C file it must have been built from, where the package has it (a source
    checkout; wheels do not ship it). ``matches``: whether the module agrees with the Python side
    on the layouts it shares with it (table columns, record formats).
    """
    if os.environ.get(SWITCH) == "python":
        return None, f"{SWITCH}=python selects it; unset it for the compiled kernel"
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None, (
            "the compiled kernel was not built when dynapspec was installed (no C compiler?); "
            "install gcc or clang and reinstall dynapspec (pip install -e . in a clone) for the fast one"
        )
    built_from = name.replace(".", "/") + ".c"
    if not matches(module) or source.exists() and hashlib.sha256(source.read_bytes()).hexdigest() != module.SOURCE_SHA256:
        return None, f"the compiled kernel is older than {built_from}; rebuild it with pip install -e ."
    return module, ""
