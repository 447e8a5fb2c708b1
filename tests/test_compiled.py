"""Which compiled loop runs (dynapspec/compiled.py): the simulator's and the float model's.

Each is a C extension built at install with a plain-Python twin; these tests cover how one is
chosen. That the twins compute the same is test_sim_property.py's and test_float_loop.py's
business; what the C code refuses is tested beside each (test_sim_kernel.py, test_float_loop.py).
"""
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_wheel import c_compiler

ROOT = Path(__file__).resolve().parent.parent
# module, its C source, its plain-Python loop, what its callers call
LOOPS = {
    "simulator": ("dynapspec.sim.kernel", "dynapspec/sim/_kernel.c", "run", "run_events"),
    "float model": ("dynapspec.evaluate.floatnet", "dynapspec/evaluate/_floatloop.c", "run_float", "run_loop"),
}


@pytest.fixture(params=list(LOOPS))
def loop(request):
    name, source, python, chosen = LOOPS[request.param]
    return importlib.import_module(name), source, python, chosen


def test_install_built_the_compiled_loop_where_there_is_a_compiler(loop):
    """pip install -e . (the README's line) builds it; the fallback is for machines without a compiler."""
    module, _, _, chosen = loop
    if not c_compiler():
        pytest.skip("no C compiler on this machine")
    assert module.COMPILED, module.FALLBACK_REASON
    assert getattr(module, chosen) is module.compiled_run


def test_environment_variable_selects_the_python_loop(loop):
    module, _, python, chosen = loop
    probe = f"import {module.__name__} as m; print(m.COMPILED, m.{chosen} is m.{python}, m.FALLBACK_REASON)"
    env = dict(os.environ, DYNAPSPEC_SIM_KERNEL="python")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("False True DYNAPSPEC_SIM_KERNEL=python selects it")


def test_a_build_older_than_its_source_is_not_used(loop, tmp_path):
    """An edited C file that was not rebuilt would silently run old code; the source hash catches it."""
    module, source, _, _ = loop
    if not module.COMPILED:
        pytest.skip(f"no compiled loop: {module.FALLBACK_REASON}")
    assert module._compiled(ROOT / source)[0] is module.compiled_run
    edited = tmp_path / Path(source).name
    edited.write_bytes((ROOT / source).read_bytes() + b"\n/* edited */\n")
    run, why = module._compiled(edited)
    assert run is None and f"older than {source}" in why and "pip install -e ." in why
