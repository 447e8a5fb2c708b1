"""samna's presence without importing it: PyPI's installer shim, a missing SDK, and the promise that
nothing but a board ever imports samna.

The shim here is a fake distribution written into tmp_path (never the real one): its
``samna/__init__.py`` records an import by creating a file, so a test can see that it never ran.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dynapspec.hardware as hw
from dynapspec.cli.main import app
from dynapspec.errors import DeviceError
from dynapspec.hardware import sdk

from hardware_support import drop_samna, no_samna, small  # noqa: F401 - fixture

ROOT = Path(__file__).parent.parent
INDEX = "https://gitlab.com/api/v4/projects/27423070/packages/pypi/simple"
runner = CliRunner()


def fake_distribution(site: Path, version: str, files: dict) -> None:
    """A samna distribution as pip installs it: package files plus dist-info with METADATA and RECORD."""
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    info = site / f"samna-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.4\nName: samna\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in files) + f"samna-{version}.dist-info/RECORD,,\n")


@pytest.fixture
def shim(tmp_path, monkeypatch):
    """PyPI's samna 0.48.6 shim on sys.path; ``shim.ran`` exists once its module body has run."""
    drop_samna()
    site = tmp_path / "site"
    ran = tmp_path / "shim-ran"
    body = (f"from pathlib import Path\nPath({str(ran)!r}).write_text('imported')\nPYPI_SAMNA = True\n"
            "raise SystemExit('the shim would run pip install --force-reinstall here')\n")
    fake_distribution(site, "0.48.6", {"samna/__init__.py": body})
    monkeypatch.syspath_prepend(str(site))
    yield ran
    drop_samna()


def test_the_shim_is_recognised_from_its_files_and_never_imported(shim):
    assert sdk.shim_version() == "0.48.6"
    for call in (hw.boards, lambda: hw.open("speck2fdevkit"), lambda: hw.deploy(small(), "speck2fdevkit", None)):
        with pytest.raises(DeviceError) as info:
            call()
        diag = info.value.diagnostics[0]
        assert diag.code == "samna-shim" and info.value.exit_status == 3
        assert "installer shim" in diag.message and f"samna==0.48.6' --index-url {INDEX}" in diag.message
    assert not shim.exists() and "samna" not in sys.modules
    assert hw.find_board(small()) is None and not shim.exists()


def test_devices_with_the_shim_says_what_is_going_on_once(shim):
    result = runner.invoke(app, ["devices"])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samna: error[samna-shim] samna 0.48.6 is SynSense")
    assert INDEX in lines[0] and "dynapspec[hardware]" not in lines[0]
    assert not shim.exists()


def test_deploy_without_a_device_says_the_shim_is_why_it_uses_the_simulator(shim):
    result = runner.invoke(app, ["deploy", "examples/lenet/net.yaml", "-i", "examples/lenet/input.h5"])
    assert result.exit_code == 0, result.output
    notes = result.stderr.splitlines()
    assert len(notes) == 1 and notes[0].startswith("note: running on the simulator (samna is only PyPI's installer shim")
    assert INDEX in notes[0] and "no free board" not in notes[0]
    assert not shim.exists()


def test_an_sdk_with_compiled_extensions_is_not_taken_for_the_shim(tmp_path, monkeypatch):
    drop_samna()
    site = tmp_path / "site"
    fake_distribution(site, "0.48.5", {"samna/__init__.py": "", "samna/samna.cpython-312-x86_64-linux-gnu.so": ""})
    monkeypatch.syspath_prepend(str(site))
    assert sdk.shim_version() is None and sdk.problem() is None
    drop_samna()


def test_without_samna_the_message_gives_the_sdk_install_command(no_samna):
    with pytest.raises(DeviceError) as info:
        hw.boards()
    assert info.value.diagnostics[0].code == "samna-missing" and INDEX in str(info.value)


RECORDING_IMPORT_HOOK = """
import importlib.abc, importlib.machinery, pkgutil, sys
attempts = []

class Recorder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # answers for samna first, so an import is recorded whether or not samna is installed
    def find_spec(self, name, path=None, target=None):
        if name == "samna" or name.startswith("samna."):
            return importlib.machinery.ModuleSpec(name, self)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        attempts.append(module.__name__)
        raise ImportError("recorded")

sys.meta_path.insert(0, Recorder())
import dynapspec
for info in pkgutil.walk_packages(dynapspec.__path__, "dynapspec."):
    if not info.name.endswith("__main__"):  # that one runs the CLI
        __import__(info.name)
from typer.testing import CliRunner
from dynapspec.cli.main import app
for args in (["--help"], ["devices", "--targets"], ["summary", "examples/lenet/net.yaml"],
             ["deploy", "--help"], ["simulate", "--help"]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print("attempts:", attempts)
"""


def test_importing_and_using_dynapspec_without_a_board_never_imports_samna():
    """A recording import hook answers for samna, so an import is seen even where samna is absent."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    out = subprocess.run([sys.executable, "-c", RECORDING_IMPORT_HOOK], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "attempts: []"
