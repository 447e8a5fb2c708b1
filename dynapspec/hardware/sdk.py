"""The only door to samna: a lazy import, its version, and attribute feature detection.

samna's PyPI wheel is an installer shim that runs pip to download the SDK when imported (samna's
install page), and its API moves between releases, so nothing imports it at module level, the shim
is recognised from its installed files without importing it, and every name the adapter needs is
looked up here, with a clear error when it is missing.
"""
from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import logging
import re
from importlib import resources
from typing import Any, Optional, Sequence, Tuple

import yaml

from ..errors import DeviceError, Location, reason, warning

log = logging.getLogger("dynapspec.hardware")

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")  # a real samna is a compiled (pybind11) extension


@functools.lru_cache(maxsize=None)
def facts() -> dict:
    """samna names and version facts (``samna.yaml`` beside this module)."""
    return yaml.safe_load(resources.files(__package__).joinpath("samna.yaml").read_text(encoding="utf-8"))


def fail(code: str, message: str, where: str = "samna") -> DeviceError:
    """A one-line device error located at a board (its --device string) or at samna itself."""
    return DeviceError.single(code, message, Location(where))


def install_hint(version: str = "") -> str:
    """The command that installs the SDK itself, from SynSense's index (samna install page)."""
    pin = f"=={version}" if version else ""
    return f"pip install --force-reinstall 'samna{pin}' --index-url {facts()['sdk_index']}"


def shim_version() -> Optional[str]:
    """The version of PyPI's installer shim when that is what is installed, found without importing it.

    The shim is a pure-Python wheel whose ``samna/__init__.py`` sets ``PYPI_SAMNA`` and runs pip;
    the SDK ships compiled extensions. Its installed files (importlib.metadata) tell them apart.
    """
    try:
        dist = importlib.metadata.distribution("samna")
    except importlib.metadata.PackageNotFoundError:
        return None
    files = dist.files or []
    if any(str(f).endswith(NATIVE_SUFFIXES) or ".so." in str(f) for f in files):
        return None
    init = dist.locate_file("samna/__init__.py")
    try:
        # locate_file gives a pathlib.Path; typeshed types it as SimplePath, whose read_text takes no arguments
        marked = "PYPI_SAMNA" in init.read_text(encoding="utf-8", errors="replace")  # type: ignore[call-arg]
    except OSError:
        marked = False
    return dist.version if marked or files else None


def problem() -> Optional[DeviceError]:
    """Why samna cannot be used (not installed, or only the installer shim), without importing it."""
    shim = shim_version()
    if shim is not None:
        return fail("samna-shim", f"samna {shim} is SynSense's PyPI installer shim, not the SDK: importing it would run "
                    f"pip to download the SDK, which dynapspec does not do for you; install the SDK with: "
                    f"{install_hint(shim)}")
    try:
        found = importlib.util.find_spec("samna") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return fail("samna-missing", f"samna is not installed; install the SDK with: {install_hint()}")
    return None


def installed() -> bool:
    """Whether a usable samna SDK is there (not the shim), found without importing it."""
    return problem() is None


def load() -> Any:
    """Import samna, or raise ``samna-missing`` / ``samna-shim`` with the install command."""
    error = problem()
    if error is not None:
        raise error
    try:
        import samna  # the one import of the vendor SDK, lazy: never at module import
    except Exception as exc:  # noqa: BLE001 - a broken install: missing system libraries, wrong platform
        raise fail("samna-missing", f"importing samna failed ({type(exc).__name__}: {reason(exc)}); reinstall the "
                   f"SDK with: {install_hint()}") from None
    return samna


def version(samna: Any) -> str:
    return str(getattr(samna, "__version__", "unknown"))


def _version_key(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def older_than(samna: Any, release: str) -> bool:
    """Whether the installed samna predates ``release`` (an unknown version counts as not older)."""
    key = _version_key(version(samna))
    return bool(key) and key < _version_key(release)


def version_warnings(samna: Any) -> list:
    """A ``samna-untested`` warning when samna is outside the releases the adapter follows."""
    tested = facts()["tested"]
    found = version(samna)
    key = _version_key(found)
    if key and _version_key(tested["min"]) <= key < _version_key(tested["max"]):
        return []
    return [warning("samna-untested", f"samna {found}; dynapspec follows the API of samna "
                    f">= {tested['min']}, < {tested['max']} (every attribute is feature-detected)")]


def chip_module(samna: Any, module: str, target: Optional[str]) -> Any:
    """``samna.<module>`` for a chip family, or ``samna-version`` when this samna lacks it."""
    found = getattr(samna, module, None)
    if found is not None:
        return found
    removed = facts()["removed"].get(module)
    hint = f"; it was removed in samna {removed}: install samna < {removed} for {target}" if removed else ""
    raise fail("samna-version", f"samna {version(samna)} has no '{module}' module{hint}")


def call(obj: Any, names: Sequence[str], *args, **kwargs) -> Any:
    """Call the first of ``names`` that ``obj`` has (samna renames methods between releases)."""
    for name in names:
        method = getattr(obj, name, None)
        if method is not None:
            return method(*args, **kwargs)
    raise fail(
        "samna-version", f"samna's {type(obj).__name__} has none of {', '.join(names)}; this samna is not supported"
    )


def has(obj: Any, name: str) -> bool:
    return getattr(obj, name, None) is not None


def node(samna: Any, chip: str, side: str) -> Any:
    """A new host-side buffer node (``source``: we write into it, ``sink``: we read from it)."""
    name = facts()["nodes"][chip][side]
    cls = getattr(samna, name, None)
    if cls is None:
        raise fail("samna-version", f"samna {version(samna)} has no {name}")
    return cls()
