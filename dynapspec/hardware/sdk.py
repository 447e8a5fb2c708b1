"""The only door to samna: a lazy import, its version, and attribute feature detection.

samna's PyPI wheel is an installer stub that downloads the SDK when imported, and its API moves
between releases (docs/chip.md §8), so nothing imports it at module level and every name the
adapter needs is looked up here, with a clear error when it is missing.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import re
from importlib import resources
from typing import Any, Sequence, Tuple

import yaml

from ..errors import DeviceError, Location, reason, warning

log = logging.getLogger("dynapspec.hardware")

INSTALL_HINT = "pip install 'dynapspec[hardware]'"


@functools.lru_cache(maxsize=None)
def facts() -> dict:
    """samna names and version facts (``samna.yaml`` beside this module)."""
    return yaml.safe_load(resources.files(__package__).joinpath("samna.yaml").read_text(encoding="utf-8"))


def fail(code: str, message: str, where: str = "samna") -> DeviceError:
    """A one-line device error located at a board (its --device string) or at samna itself."""
    return DeviceError.single(code, message, Location(where))


def installed() -> bool:
    """Whether samna is there to import, found without importing it (the PyPI stub downloads on import)."""
    try:
        return importlib.util.find_spec("samna") is not None
    except (ImportError, ValueError):
        return False


def load() -> Any:
    """Import samna, or raise ``samna-missing`` with the install hint."""
    try:
        import samna  # noqa: PLC0415 - the one lazy import of the vendor SDK
    except ImportError:
        raise fail("samna-missing", f"samna is not installed; install it with: {INSTALL_HINT}") from None
    except Exception as exc:  # the installer stub fails in many ways (no network, pip errors)
        raise fail(
            "samna-missing", f"importing samna failed ({type(exc).__name__}: {reason(exc)}); reinstall it with: {INSTALL_HINT}"
        ) from None
    return samna


def version(samna: Any) -> str:
    return str(getattr(samna, "__version__", "unknown"))


def _version_key(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def version_warnings(samna: Any) -> list:
    """A ``samna-untested`` warning when samna is outside the releases the adapter follows."""
    tested = facts()["tested"]
    found = version(samna)
    key = _version_key(found)
    if key and _version_key(tested["min"]) <= key < _version_key(tested["max"]):
        return []
    return [warning("samna-untested", f"samna {found}; dynapspec follows the API of samna "
                    f">= {tested['min']}, < {tested['max']} (every attribute is feature-detected)")]


def chip_module(samna: Any, module: str, target: str) -> Any:
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
