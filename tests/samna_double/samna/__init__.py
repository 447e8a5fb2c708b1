"""A test double of the samna SDK (NOT the vendor package): the surface dynapspec uses.

Module, class and node names mirror samna 0.48.5's reference per chip; structs follow pybind11's
conversion rules and samna's documented side effects; ``validate_configuration`` checks shapes,
ranges, memory and destination sizes; a board's model runs the independent reference chip in
``tests/simnet.py``. Every rule names its source beside it. Test controls live in
``samna._double``. Tests put this directory on sys.path through a fixture, never globally.
"""
from __future__ import annotations

import sys

from . import _chips, _double, device, graph, unifirm  # noqa: F401

__version__ = "0.48.5"

_HOST_NODES = []


def _install_chips(with_dynapcnn: bool) -> None:
    """Create the chip modules and host buffer node classes this release has."""
    module = sys.modules[__name__]
    for name in list(_HOST_NODES):
        delattr(module, name)
    _HOST_NODES.clear()
    for chip, facts in _chips.CHIPS.items():
        for suffix in ("", ".configuration", ".event"):
            sys.modules.pop(f"samna.{chip}{suffix}", None)
        if hasattr(module, chip):
            delattr(module, chip)
        if chip == "dynapcnn" and not with_dynapcnn:
            continue
        chip_module = _chips.chip_module(chip)
        setattr(module, chip, chip_module)
        sys.modules[f"samna.{chip}"] = chip_module
        sys.modules[f"samna.{chip}.configuration"] = chip_module.configuration
        sys.modules[f"samna.{chip}.event"] = chip_module.event
        for cls in graph.host_node_classes(chip, facts["source"], facts["sink"], chip_module.event):
            setattr(module, cls.__name__, cls)
            _HOST_NODES.append(cls.__name__)


_install_chips(with_dynapcnn=False)
