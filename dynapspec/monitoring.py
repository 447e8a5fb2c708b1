"""Which layers a run reports to the host: one rule for the simulator, the board and the command line.

``monitor`` is ``None`` (the configuration's own choice), ``"all"`` (every layer, and the DVS layer
of a DVS-input network; never the readout, which on a board silences every spike), or names from
:func:`choices`.
"""
from __future__ import annotations

from typing import Iterable, Tuple, Union

from .config import Config
from .errors import Location, SpecError
from .events import DVS_NAME, READOUT_NAME

Monitor = Union[None, str, Iterable[str]]


def choices(config: Config, readout: bool = False) -> Tuple[str, ...]:
    """The names a run can monitor, in network order: ``"dvs"`` for a DVS-input network, every layer,
    and, where the readout is modelled (``readout``: a board) and enabled, ``"readout"``."""
    names = [record.name for record in config.header.layers]
    if config.header.input.kind == "dvs":
        names.insert(0, DVS_NAME)
    if readout and config.chip.readout is not None and config.chip.readout.enable:
        names.append(READOUT_NAME)
    return tuple(names)


def resolve(config: Config, monitor: Monitor, readout: bool = False) -> Tuple[str, ...]:
    """The monitored names, in network order; ``unknown-layer`` for a name the network does not have."""
    valid = choices(config, readout)
    if monitor is None:
        chip = config.chip
        chosen = {r.name for r in config.header.layers if chip.cnn_layers[r.core].monitor_enable}
        if chip.dvs_layer.monitor_enable:
            chosen.add(DVS_NAME)
        if chip.readout is not None and chip.readout.monitor_enable:
            chosen.add(READOUT_NAME)
    elif isinstance(monitor, str) and monitor == "all":
        chosen = set(valid) - {READOUT_NAME}
    else:
        chosen = {monitor} if isinstance(monitor, str) else set(monitor)
        unknown = sorted(chosen - set(valid))
        if unknown:
            raise SpecError.single(
                "unknown-layer",
                f"cannot monitor {', '.join(map(repr, unknown))}: the network has {', '.join(valid)} (or 'all')",
                Location("--monitor"),
            )
    return tuple(name for name in valid if name in chosen)
