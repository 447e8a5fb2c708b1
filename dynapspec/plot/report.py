"""The one-page report: one self-contained HTML file (no scripts, no fetched resources).

It holds the summary table, the compiler's warnings and placement errors, the chip map as inline
SVG and, after a run, the run's figures and the activity plots as an inline PNG. Nothing in it
depends on the clock or the machine (no wall-clock run time), so the same network and input
give the same bytes: a report can be committed or attached to a pull request and diffed.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence

import numpy as np

from .. import __version__
from .model import ChipView, LayerBox

STYLE = """
body { font-family: 'DejaVu Sans', Verdana, sans-serif; font-size: 14px; color: #222; max-width: 1250px; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 22px; margin-bottom: 0.2em; } h2 { font-size: 17px; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 3px 9px; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; } th { background: #f4f6f8; }
tr.nocore td { color: #c83737; } .ok { color: #2a7a2a; } .bad { color: #c83737; font-weight: bold; }
ul.diag { font-family: 'DejaVu Sans Mono', monospace; font-size: 12px; } ul.diag li { margin: 0.3em 0; }
.figure svg, .figure img { max-width: 100%; height: auto; } footer { margin-top: 2em; color: #888; font-size: 12px; }
"""  # noqa: E501 - the page's CSS, byte for byte as before


@dataclass(frozen=True)
class RunFigures:
    """What a run gives the report: its input and the spikes of every layer (monitor all)."""

    input_file: str
    device: str
    input: np.ndarray
    layers: Mapping[str, np.ndarray]
    spike_counts: Mapping[str, int]
    outputs: Sequence[str]  # exit layers
    activity_png: bytes


def render(view: ChipView, config=None, events=None, input_name: str = "events") -> str:
    """Render the figures and assemble the page; with ``events`` (and the network's ``config``), run it first.

    The run is the simulator's with every layer monitored. A network that does not fit is not run.
    """
    from . import activity, chip_map
    from .style import render

    chip_svg = render(chip_map(view), "svg")
    if events is None:
        return html_report(view, chip_svg)
    if not view.fits:
        return html_report(view, chip_svg, note=f"{input_name} was not run: the network does not fit the chip.")
    from ..sim import Simulator

    result = Simulator(config).run(events, monitor="all")
    run = RunFigures(
        input_file=input_name, device=result.device, input=events, layers=result.layers,
        spike_counts=result.spike_counts, outputs=view.outputs,
        activity_png=render(activity(result, network=view, input=events), "png"),
    )
    return html_report(view, chip_svg, run)


def html_report(view: ChipView, chip_svg: bytes, run: Optional[RunFigures] = None, note: str = "") -> str:
    """The report's text. ``chip_svg``: the chip map as rendered SVG; ``note``: why there was no run."""
    e = html.escape
    status = (
        f'<p class="ok">Fits: {len(view.layers)} layers on cores '
        f"{', '.join(str(core) for core in sorted(layer.core for layer in view.layers if layer.core is not None))}.</p>"
        if view.fits
        else f'<p class="bad">Does not fit: {", ".join(e(layer.name) for layer in view.unplaced)} '
        f"{'has' if len(view.unplaced) == 1 else 'have'} no core. The chip map shows why.</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(view.name)}: dynapspec report</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(view.name)} on {e(view.target)} ({e(view.chip)})</h1>",
        status,
        "<h2>Layers</h2>",
        _layer_table(view),
    ]
    if view.problems:
        parts += ["<h2>Placement errors</h2>", _diagnostics(d.render() for d in view.problems)]
    parts += ["<h2>Warnings</h2>", _diagnostics(d.render() for d in view.warnings) if view.warnings else "<p>None.</p>"]
    parts += ["<h2>Chip map</h2>", f'<div class="figure">{inline_svg(chip_svg)}</div>']
    if note:
        parts += ["<h2>Run</h2>", f"<p>{e(note)}</p>"]
    if run is not None:
        parts += ["<h2>Run</h2>", _run_table(run)]
        data = base64.b64encode(run.activity_png).decode("ascii")
        parts += ["<h2>Activity</h2>", f'<div class="figure"><img alt="activity plots" src="data:image/png;base64,{data}"></div>']
    parts += [f"<footer>dynapspec {e(__version__)}</footer>", "</body></html>", ""]
    return "\n".join(parts)


def inline_svg(svg: bytes) -> str:
    """matplotlib's SVG file as an element inside HTML: no XML prolog, no doctype, no namespace URIs.

    An HTML parser puts ``<svg>`` in the SVG namespace by itself, so the ``xmlns`` attributes
    (URLs, though never fetched) are dropped: the report then holds no URL at all.
    """
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)


def _diagnostics(lines) -> str:
    return '<ul class="diag">' + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def _cells(values: List[str], header: bool = False, cls: str = "") -> str:
    tag = "th" if header else "td"
    row = "".join(f"<{tag}>{html.escape(v)}</{tag}>" for v in values)
    return f'<tr class="{cls}">{row}</tr>' if cls else f"<tr>{row}</tr>"


def _use(used: int, capacity: int) -> str:
    return f"{used}/{capacity} ({100 * used / capacity:.0f}%)"


def _layer_table(view: ChipView) -> str:
    head = ["layer", "input CxHxW", "output FxHxW", "kernel", "kernel memory", "neuron memory", "core", "scale",
            "θH", "θL", "monitor"]
    rows = [_cells(head, header=True)]
    for layer in view.layers:
        rows.append(_cells(_layer_row(view, layer), cls="" if layer.core is not None else "nocore"))
    return "<table>" + "".join(rows) + "</table>"


def _layer_row(view: ChipView, layer: LayerBox) -> List[str]:
    if layer.core is not None:
        cap = view.capacities[layer.core]
        kernel, neuron, core = _use(layer.memory.kernel, cap.kernel), _use(layer.memory.neuron, cap.neuron), str(layer.core)
    else:
        kernel, neuron, core = str(layer.memory.kernel), str(layer.memory.neuron), "none"
    return [
        layer.name, "x".join(map(str, layer.input_shape)), "x".join(map(str, layer.output_shape)), str(layer.kernel),
        kernel, neuron, core, f"{layer.scale:.6g}", str(layer.threshold_high), str(layer.threshold_low),
        "yes" if layer.monitor else "",
    ]


def _run_table(run: RunFigures) -> str:
    from .spikes import winner_text

    t = run.input["t"]
    span = f"{int(t[0]) / 1000:g}–{int(t[-1]) / 1000:g} ms" if len(t) else "no events"
    lines = [f"<p>{html.escape(run.input_file)} on {html.escape(run.device)}: {len(run.input):,} input events ({span}).</p>"]
    rows = [_cells(["layer", "spikes"], header=True)]
    rows += [_cells([name, f"{count:,}"]) for name, count in run.spike_counts.items()]
    lines.append("<table>" + "".join(rows) + "</table>")
    for name in run.outputs:
        spikes = run.layers.get(name)
        if spikes is not None:
            totals = np.bincount(spikes["c"].astype(np.int64)) if len(spikes) else np.zeros(0, dtype=np.int64)
            lines.append(f"<p>{html.escape(winner_text(name, totals))}</p>")
    return "\n".join(lines)
