"""Pictures of a network on the chip and of the spikes it makes (the optional ``plot`` extra).

Each function returns a matplotlib Figure, so notebooks can compose or restyle them;
:func:`save` writes one byte-stably (``.svg``, ``.png``, ``.pdf``). Importing this package is
cheap; matplotlib is imported on first use, and its absence is the ``plot-missing`` error that
names the ``pip install`` to run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

__all__ = ["activity", "chip_map", "report", "save"]


def chip_map(network, target: Optional[str] = None):
    """The chip map of a compiled Config, or of a spec or config file (a spec that does not fit is drawn too)."""
    from .chipmap import chip_map as draw

    return draw(_view(network, target))


def activity(result, network=None, input=None, max_points: Optional[int] = None):  # noqa: A002
    """Activity plots of a run: a result file's path, an ``EventFile`` or a ``RunResult``.

    ``network`` (a Config, a spec or config path) orders the panels as the network does and
    marks its exit layers as outputs; without it, panels follow the first spike and 1x1 layers
    count as outputs. ``input``: the events a ``RunResult`` was run on (a file carries its own).
    Layers with more than ``max_points`` spikes (default 50,000) are drawn binned.
    """
    from ..events import DVS_NAME
    from .spikes import MAX_POINTS, activity as draw

    if isinstance(result, (str, Path)):
        from ..events import read_event_file

        result = read_event_file(result)
    events = input if input is not None else getattr(result, "input", None)
    order = outputs = features = None
    name = getattr(result, "network", "")
    if network is not None:
        view = _view(network)
        name = view.name
        order = ([DVS_NAME] if view.dvs is not None else []) + [layer.name for layer in view.layers]
        outputs = list(view.outputs)
        features = {layer.name: layer.output_shape[0] for layer in view.layers}
        if view.dvs is not None:
            features[DVS_NAME] = view.dvs.output_shape[0]
    return draw(
        result.layers, input_events=events, order=order, outputs=outputs, features=features,
        readout_pins=getattr(result, "readout_pins", None),  # a board's readout, where the result has one
        title=_run_title(name, result, events), max_points=MAX_POINTS if max_points is None else max_points,
    )


def report(network, events=None, target: Optional[str] = None, input_name: str = "events") -> str:
    """The one-page HTML report (text) of a network (a Config, a spec or config path) and, with ``events``, of a run.

    The run is the simulator's, every layer monitored. A network that does not fit is reported
    with its placement errors, and is not run.
    """
    from .model import load_config
    from .report import render

    view = _view(network, target)
    config = load_config(network, target) if events is not None and view.fits else None
    return render(view, config, events, input_name)


def save(fig, path: Union[str, Path]) -> None:
    """Write ``fig`` atomically as .svg, .png or .pdf (by suffix); the same figure gives the same bytes."""
    from .style import save as write

    write(fig, path)


def _view(network, target: Optional[str] = None):
    from ..config import Config
    from .model import ChipView, from_config, load_view

    if isinstance(network, ChipView):
        return network
    if isinstance(network, Config):
        return from_config(network)
    return load_view(network, target)


def _run_title(name: str, result, events) -> str:
    """``lenet on sim: 3,877 input events, 29,483 spikes to the host``."""
    output = getattr(result, "output", None)
    facts = ([f"{len(events):,} input events"] if events is not None else []) + (
        [f"{len(output):,} spikes to the host"] if output is not None else []
    )
    dropped = getattr(result, "dropped", None)  # a board's DroppedEventsNum, where the result has one
    if dropped:
        facts.append(f"{dropped:,} events dropped by the board")
    head = f"{name or 'network'} on {getattr(result, 'device', '') or 'an unnamed device'}"
    return head + (": " + ", ".join(facts) if facts else "")
