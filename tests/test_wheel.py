"""The built wheel works on its own: schema and chip profiles ship as package data.

Builds a wheel from a copy of the sources (no build isolation: offline, and the checkout stays
clean), installs it with --no-deps into a fresh virtual environment that borrows this
environment's dependencies, and runs `dynapspec schema` and the chip profiles from there, in a
directory outside the checkout so nothing can be imported from the source tree.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, cwd):
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    pytest.importorskip("build")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("dynapspec", "schema"):
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    built = _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp / "dist", src, cwd=tmp)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp / "dist").glob("dynapspec-*.whl"))

    env = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "borrowed_deps.pth").write_text("\n".join(sorted(deps)) + "\n")  # appended after the venv's own
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return tmp, env, wheel


def test_wheel_holds_the_schema_and_profiles(wheel_env):
    import zipfile

    _, _, wheel = wheel_env
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dynapspec/data/dynapspec.schema.json" in names
    assert {"dynapspec/chips/_common.yaml", "dynapspec/chips/speck2f.yaml"} <= names
    shipped = zipfile.ZipFile(wheel).read("dynapspec/data/dynapspec.schema.json").decode("utf-8")
    assert json.loads(shipped) == json.loads((ROOT / "schema" / "dynapspec.schema.json").read_text())


def test_installed_wheel_runs_schema_and_profiles(wheel_env):
    tmp, env, _ = wheel_env
    python = env / "bin" / "python"
    where = _run(python, "-c", "import dynapspec; print(dynapspec.__file__)", cwd=tmp)
    assert Path(where.stdout.strip()).is_relative_to(env), where.stdout + where.stderr
    printed = _run(env / "bin" / "dynapspec", "schema", cwd=tmp)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == json.loads((ROOT / "schema" / "dynapspec.schema.json").read_text())
    probe = _run(python, "-c", "from dynapspec import chips; print(chips.profile('speck2fdevkit').cores[5].kernel)", cwd=tmp)
    assert probe.stdout.strip() == "65536", probe.stderr


def test_installed_wheel_validates_an_example(wheel_env):
    tmp, env, _ = wheel_env
    shutil.copytree(ROOT / "examples" / "lenet", tmp / "lenet", dirs_exist_ok=True)
    checked = _run(env / "bin" / "dynapspec", "validate", "lenet/net.yaml", cwd=tmp)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_installed_wheel_simulates_with_the_compiled_kernel(wheel_env):
    """The wheel carries the event loop built for this platform (setup.py), and deploy runs on it."""
    import zipfile

    tmp, env, wheel = wheel_env
    if not c_compiler():
        pytest.skip("no C compiler here: the wheel holds no compiled kernel")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("dynapspec/sim/_kernel") for n in names)
    assert any(n.startswith("dynapspec/evaluate/_floatloop") for n in names)  # the float model's loop too
    probe = _run(env / "bin" / "python", "-c", "from dynapspec import sim; from dynapspec.evaluate import floatnet as f; "
                 "print(sim.COMPILED, f.COMPILED, sim.FALLBACK_REASON, f.FALLBACK_REASON)", cwd=tmp)  # fmt: skip
    assert probe.stdout.strip() == "True True", probe.stdout + probe.stderr
    shutil.copytree(ROOT / "examples" / "lenet", tmp / "lenet", dirs_exist_ok=True)
    ran = _run(env / "bin" / "dynapspec", "deploy", "lenet/net.yaml", "--device", "sim", "--input", "lenet/input.h5", cwd=tmp)
    assert ran.returncode == 0 and "plain-Python" not in ran.stderr, ran.stdout + ran.stderr


def c_compiler() -> bool:
    """Is the compiler that builds extensions for this Python on PATH?"""
    return bool(shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]))
