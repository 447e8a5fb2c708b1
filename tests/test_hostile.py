"""The regression corpus of hostile inputs (tests/hostile.py) and of output faults.

Every case must end with its exact code and exit status, one located line per problem, no
``internal error``, no traceback, no signal, no hang, and its outputs untouched. Cases whose
input could block or crash a test process (FIFOs, unreadable files) run in a real process with a
timeout; the others run in-process under an alarm.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hostile
from dynapspec.cli.main import app

TIMEOUT_S = 60
_LINE = re.compile(r"^\S.*?(:\d+){0,2}: error\[([a-z0-9-]+)\] ")
_MORE = re.compile(r"^\.\.\. and \d+ more problems ")
IS_ROOT = os.geteuid() == 0


def snapshot(directory: Path, names):
    """What each output path is now: its kind and device, and a regular file's bytes."""
    found = {}
    for name in names:
        try:
            info = os.lstat(directory / name)
        except FileNotFoundError:
            found[name] = None
            continue
        content = (directory / name).read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[name] = (stat.S_IFMT(info.st_mode), info.st_rdev, content)
    return found


@contextlib.contextmanager
def as_nobody():
    """Run as the unprivileged user nobody (effective ids), so that file permissions apply to root too."""
    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def run_process(argv, directory: Path, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "dynapspec", *argv], cwd=directory, capture_output=True, text=True, timeout=TIMEOUT_S,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout, proc.stderr


@contextlib.contextmanager
def alarm(seconds: int):
    def expired(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(argv, directory: Path, monkeypatch, env=None):
    monkeypatch.chdir(directory)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    with alarm(TIMEOUT_S):
        result = CliRunner().invoke(app, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def check(case: hostile.Case, status: int, stdout: str, stderr: str) -> None:
    text = stdout + stderr
    assert "internal error" not in text and "Traceback" not in text, text[:2000]
    assert status == case.status, text[:2000]
    assert stdout == "", stdout[:2000]
    lines = stderr.splitlines()
    assert len(lines) == case.lines, f"expected {case.lines} lines:\n{stderr[:3000]}"
    diagnostics = [line for line in lines if not _MORE.match(line)]
    codes = [_LINE.match(line).group(2) if _LINE.match(line) else f"not a diagnostic line: {line[:200]}" for line in diagnostics]
    assert codes[0] == case.code, stderr[:2000]
    assert case.says in diagnostics[0], stderr[:2000]


def _skip(case: hostile.Case) -> None:
    if case.root and not IS_ROOT:
        pytest.skip("making a device node needs root")


@pytest.fixture
def directory(tmp_path):
    """tmp_path, or for a test that demotes itself to nobody a directory nobody can enter."""
    open_to_all = Path(tempfile.mkdtemp(prefix="dynapspec-hostile-"))
    os.chmod(open_to_all, 0o777)
    yield tmp_path, open_to_all
    shutil.rmtree(open_to_all, ignore_errors=True)


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda c: c.name)
def test_hostile_input(case, directory, monkeypatch):
    _skip(case)
    demote = case.root is False and IS_ROOT
    tmp_path = directory[1] if demote else directory[0]
    argv = case.build(tmp_path)
    before = snapshot(tmp_path, case.outputs)
    env = hostile.ENVIRONMENT.get(case.name)
    if demote:  # root reads every file: read as nobody, in-process (a child could not start Python as nobody)
        os.chmod(tmp_path / argv[1], 0o644)
        run_in_process(argv, tmp_path, monkeypatch, env)  # imports what the run needs while root
        with as_nobody():
            status, stdout, stderr = run_in_process(argv, tmp_path, monkeypatch, env)
    elif case.process:
        status, stdout, stderr = run_process(argv, tmp_path, env)
    else:
        status, stdout, stderr = run_in_process(argv, tmp_path, monkeypatch, env)
    check(case, status, stdout, stderr)
    assert snapshot(tmp_path, case.outputs) == before
    assert not [p.name for p in tmp_path.iterdir() if ".dynapspec-" in p.name], "a temporary file was left behind"


def test_the_corpus_covers_every_reader_and_class():
    names = [case.name for case in hostile.CASES]
    assert len(names) == len(set(names)) and len(names) >= 60
    for prefix in ("weights_", "spec_", "events_", "config_", "nir_", "output_"):
        assert sum(name.startswith(prefix) for name in names) >= 4, prefix


def test_a_long_list_of_problems_prints_a_bounded_report(tmp_path, monkeypatch):
    (case,) = [c for c in hostile.CASES if c.name == "spec_60_layers_naming_unknown_layers"]
    status, stdout, stderr = run_in_process(case.build(tmp_path), tmp_path, monkeypatch)
    lines = stderr.splitlines()
    assert lines[-1] == "... and 21 more problems (`dynapspec validate --format json` lists them all)"
    assert "no layer is named `nowhere0`; layers: layer0, layer1, layer2, layer3, layer4, layer5, layer6, layer7, layer8, " \
           "layer9, ... (60 in all)" in lines[1]
    assert all(len(line) < 400 for line in lines)


# ---------------------------------------------------------------- output faults


def _file_size_limit(size: int):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def _previous(path: Path) -> bytes:
    path.write_bytes(b"the previous file\n")
    return path.read_bytes()


@pytest.mark.parametrize("command", ["compile", "simulate", "import", "export"])
def test_a_full_disk_leaves_the_previous_file_and_exits_3(command, tmp_path):
    """A write failing half-way (here: past RLIMIT_FSIZE, EFBIG; ENOSPC and EIO take the same path)."""
    if command == "compile":
        hostile.network(tmp_path)
        argv, outputs = ["compile", "net.yaml", "-o", "out.json"], ["out.json"]
    elif command == "simulate":
        argv, outputs = hostile.events(tmp_path), ["out.h5"]
    elif command == "import":
        argv, outputs = hostile.nir(tmp_path, hostile.small_net(), hostile.SMALL_EDGES) + ["--force"], ["out.yaml", "out.h5"]
    else:
        hostile.network(tmp_path)
        argv, outputs = ["export", "net.yaml", "-o", "out.nir"], ["out.nir"]
    old = {name: _previous(tmp_path / name) for name in outputs}
    # No bytecode written under the limit: Python does not check for short writes, so a .pyc cut at
    # 600 bytes would land in the package's __pycache__ and break every later import of that module.
    proc = subprocess.run([sys.executable, "-m", "dynapspec", *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=TIMEOUT_S, preexec_fn=_file_size_limit(600),
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert re.search(r"error\[output-write\] cannot write \S+: File too large", proc.stderr), proc.stderr
    assert {name: (tmp_path / name).read_bytes() for name in outputs} == old
    assert not [p.name for p in tmp_path.iterdir() if ".dynapspec-" in p.name]


@pytest.mark.parametrize("error", ["ENOSPC", "EIO", "EROFS"])
def test_write_errors_become_output_write(error, tmp_path, monkeypatch):
    from dynapspec import fileio
    from dynapspec.errors import DeviceError

    target = tmp_path / "net.config.json"
    old = _previous(target)

    def failing(*args, **kwargs):
        raise OSError(getattr(__import__("errno"), error), os.strerror(getattr(__import__("errno"), error)))

    monkeypatch.setattr(fileio.os, "replace", failing)
    with pytest.raises(DeviceError) as info:
        fileio.write_text(target, "new")
    (diag,) = info.value.diagnostics
    assert diag.code == "output-write" and info.value.exit_status == 3
    assert diag.message == f"cannot write {target}: {os.strerror(getattr(__import__('errno'), error))}"
    assert target.read_bytes() == old and sorted(p.name for p in tmp_path.iterdir()) == ["net.config.json"]


def test_stdout_that_fails_is_an_output_error(tmp_path):
    """`compile -o -` into a full device: exit 3, one line, not an internal error."""
    hostile.network(tmp_path)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "dynapspec", "compile", "net.yaml", "-o", "-"], cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("<stdout>: error[output-write] cannot write the output (No space left on device)"), proc.stderr


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    hostile.network(tmp_path)
    (tmp_path / "real.json").write_text("old")
    os.symlink("real.json", tmp_path / "link.json")
    proc = subprocess.run([sys.executable, "-m", "dynapspec", "compile", "net.yaml", "-o", "link.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    assert os.path.islink(tmp_path / "link.json") and (tmp_path / "real.json").read_text().startswith("{")


def test_dev_stdout_as_output_follows_stdout(tmp_path):
    """-o /dev/stdout: written when stdout is a regular file, refused (exit 3) when it is a pipe."""
    hostile.network(tmp_path)
    argv = [sys.executable, "-m", "dynapspec", "compile", "net.yaml", "-o", "/dev/stdout"]
    with open(tmp_path / "captured.json", "w") as captured:
        proc = subprocess.run(argv, cwd=tmp_path, stdout=captured, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "captured.json").read_text().startswith("{")
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 3 and "error[output-write]" in proc.stderr and "dynapspec replaces only regular files" in proc.stderr \
        or "which does not exist" in proc.stderr, proc.stderr
    assert os.path.islink("/dev/stdout")


def test_stale_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    from dynapspec import fileio

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.json.dynapspec-{dead}-abc123.tmp"
    fresh = tmp_path / f".out.json.dynapspec-{dead}-def456.tmp"
    alive = tmp_path / f".out.json.dynapspec-{os.getppid()}-ghi789.tmp"
    other = tmp_path / f".other.json.dynapspec-{dead}-abc123.tmp"
    for path in (stale, fresh, alive, other):
        path.write_text("half")
    old = os.path.getmtime(stale) - 2 * fileio.STALE_AFTER_S
    for path in (stale, alive, other):
        os.utime(path, (old, old))
    fileio.write_text(tmp_path / "out.json", "{}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in left  # its writer is gone and it is old
    assert {fresh.name, alive.name, other.name, "out.json"} <= set(left)  # too new, writer alive, another file


def _peak_growth(call) -> int:
    """How far the resident memory peaks above its level before ``call()`` (Linux: the peak is reset)."""
    def field(name):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith(name + ":"))

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = field("VmRSS")
    call()
    return field("VmHWM") - before


def test_a_damaged_string_length_does_not_make_hdf5_allocate_it(tmp_path):
    """HDF5 allocates a variable-length string's stored length before it finds the file damaged; the
    guard caps what it may allocate (h5guard.memory_cap), so 3 GiB are refused, not allocated."""
    from dynapspec.errors import SpecError
    from dynapspec.nirio import read

    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("measuring a peak needs Linux")
    (case,) = [c for c in hostile.CASES if c.name == "nir_damaged_string_length_of_3_gib"]
    case.build(tmp_path)

    def attempt():
        with pytest.raises(SpecError):
            read(tmp_path / "model.nir")

    assert _peak_growth(attempt) < 256 << 20


def test_unused_event_file_parts_are_not_read(tmp_path):
    """simulate reads /input only: a /states dataset declaring 2^40 values costs nothing."""
    import h5py

    def build(f):
        hostile.input_columns(f)
        f["input"].attrs["kind"] = "spikes"
        hostile.chunked_zeros(f, "states/conv1", (1 << 20, 1 << 10, 1 << 10), dtype="i2")

    argv = hostile.events(tmp_path, build)
    status, stdout, stderr = run_process(argv, tmp_path)
    assert status == 0, stderr
    with h5py.File(tmp_path / "out.h5") as f:
        assert "input" in f


def test_nul_characters_in_paths_are_refused_not_truncated(tmp_path):
    from dynapspec.errors import SpecError
    from dynapspec.events import read_event_file
    from dynapspec.spec import load

    hostile.events(tmp_path)
    for reader, path in ((load, tmp_path / "net.yaml"), (read_event_file, tmp_path / "events.h5")):
        with pytest.raises(SpecError) as info:
            reader(str(path) + "\0ignored")
        (diag,) = info.value.diagnostics
        assert diag.code == "file-type" and "holds a NUL character" in diag.message and "\0" not in diag.render()
