"""Commands that run a network: simulate, deploy (simulator or board)."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, NoReturn, Optional

import typer

from .common import handles_errors, is_tty

NETWORK_ARG = typer.Argument(
    ..., help="net.yaml (compiled on the fly) or a compiled config.json.", show_default=False, metavar="NETWORK"
)
INPUT_HELP = "Events to play: a dynapspec event file (.h5, its /input), a tonic .npy array or an AEDAT4 recording (docs/events.md)."
POLARITY_OPT = typer.Option(
    None, "--polarity", help="DVS events (x, y, t, p) into a spike input: channel (c = p), merge (all into channel 0), on or off "
    "(only that polarity) [default: channel when every p fits the input's channels]."
)
OUTPUT_OPT = typer.Option(None, "--output", "-o", help="Write input, output spikes, per-layer spikes and counts to this HDF5 file.")
MONITOR_OPT = typer.Option(
    None, "--monitor", "-m", help="Layers to record: comma-separated names ('dvs' for the DVS layer) or 'all' [default: as configured]."
)
STATES_HELP = "Also store every layer's final neuron states in the output file (/states, int16 [f][x][y])."
LONG_INPUT = 200_000  # events; longer runs show a progress bar on a terminal


@handles_errors
def simulate(
    network: Path = NETWORK_ARG,
    input: List[Path] = typer.Option(  # noqa: A002
        ..., "--input", "-i", show_default=False,
        help=INPUT_HELP + " Repeat it, or give a directory, to simulate several files, one per core (then -o is a directory).",
    ),  # fmt: skip
    output: Optional[Path] = OUTPUT_OPT,
    monitor: Optional[str] = MONITOR_OPT,
    states: bool = typer.Option(False, "--states", help=STATES_HELP),
    polarity: Optional[str] = POLARITY_OPT,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Files simulated at a time [default: one per core]."),
) -> None:
    """Run a network on the bit-accurate chip simulator.

    Prints what ran, what came out (spikes per layer, the most active output features) and how
    to keep the result.

    \b
    Examples:
      dynapspec simulate examples/lenet/net.yaml --input examples/lenet/input.h5
      dynapspec simulate net.config.json -i events.h5 -o out.h5 --monitor conv1,out
      dynapspec simulate net.yaml -i recordings/ -o results/   # every .h5 file, one per core
    """
    from .many import input_files

    inputs = input_files(input)
    if len(inputs) > 1:
        from .many import output_files, simulate_files

        outputs = output_files(inputs, output)
        config = _load(network)
        _kernel_note()
        return simulate_files(config, network, inputs, outputs, _monitor(monitor, config), states, jobs, polarity)
    path = inputs[0]
    _check_output(output)
    config = _load(network)
    events = _read_input(path, config, polarity)
    result = _simulate(config, events, _monitor(monitor, config), states, network, path)
    _finish(config, events, result, output)


@handles_errors
def deploy(
    network: Optional[Path] = typer.Argument(
        None, help="net.yaml (compiled on the fly) or a compiled config.json; not needed with --selftest.", show_default=False
    ),
    device: Optional[str] = typer.Option(
        None, "--device", "-d", help="'sim' for the simulator, or a board (speck2fdevkit:0) [default: the first attached board, else sim]."
    ),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help=INPUT_HELP + " Needed on the simulator."),  # noqa: A002
    output: Optional[Path] = OUTPUT_OPT,
    monitor: Optional[str] = MONITOR_OPT,
    duration: Optional[str] = typer.Option(None, "--duration", help="Run length, e.g. 2s, 500ms [default: until the input is played]."),
    live: bool = typer.Option(False, "--live", help="Print spikes as they arrive (board with its sensor only)."),
    states: bool = typer.Option(False, "--states", help=STATES_HELP + " On a board they are read back after the run."),
    settle: Optional[float] = typer.Option(None, "--settle", min=0, metavar="SECONDS",
                                           help="Board: wait after applying the configuration [default: 1, docs/hardware.md]."),
    quiet: Optional[float] = typer.Option(None, "--quiet", min=0.01, metavar="SECONDS",
                                          help="Board: end the run after this long without new output [default: 0.3]."),
    slow_clock: Optional[int] = typer.Option(None, "--slow-clock", min=1, metavar="HZ",
                                             help="Board: slow clock for the readout and leak, whole Hz [default: 20]."),
    keep_time: bool = typer.Option(
        False, "--keep-time", help="Board: report times in the input's own time base, not from its first event."),
    raw_dvs: bool = typer.Option(False, "--raw-dvs", help="Board: also record the DVS layer's raw input events (/raw_dvs)."),
    selftest: bool = typer.Option(
        False, "--selftest", help="Run the first-board checklist on --device and print a report to paste into an issue."),
    polarity: Optional[str] = POLARITY_OPT,
) -> None:
    """Run a network on a board, or on the simulator.

    Without --device: the first free attached board of the network's target, else the simulator.

    On the simulator, --duration drops input events at or after it; the options marked "Board" do
    not apply there. On a board, --monitor also takes 'readout' for a readout network's ReadoutValue
    events (docs/hardware.md).

    \b
    Examples:
      dynapspec deploy examples/lenet/net.yaml --device sim --input examples/lenet/input.h5
      dynapspec deploy net.yaml --device speck2fdevkit:0 --input events.h5 -o out.h5
      dynapspec deploy net.yaml --live --duration 10s
      dynapspec deploy --selftest --device speck2fdevkit:0
    """
    if device is not None and device != "sim":
        from ..hardware.devices import parse

        parse(device)  # a typo is a usage error (exit 2), found before samna is imported
    if selftest:
        return _selftest(device, settle)
    if network is None:
        _usage("give the network to deploy (net.yaml or config.json), or --selftest")
    duration_s = _duration(duration)
    _check_output(output)
    config = _load(network)
    names = _monitor(monitor, config, board=True)
    events = _read_input(input, config, polarity) if input is not None else None
    if device is None:
        from ..hardware import free_board

        device, why = free_board(config)
        if device is None:
            typer.echo(f"note: running on the simulator ({why})", err=True)
            device = "sim"
    from ..events import READOUT_NAME

    if device != "sim":
        from .. import hardware

        result = hardware.deploy(
            config, device, events=events, monitor=names, duration_s=duration_s, live=live, states=states,
            settle_s=settle, quiet_s=quiet, slow_clock_hz=slow_clock, keep_time=keep_time, raw_dvs=raw_dvs,
            on_interval=_live_printer(config) if live else None,
        )
    else:
        board_only = [name for name, given in (("--settle", settle is not None), ("--quiet", quiet is not None),
                                               ("--slow-clock", slow_clock is not None), ("--keep-time", keep_time),
                                               ("--raw-dvs", raw_dvs)) if given]
        if isinstance(names, list) and READOUT_NAME in names:
            board_only.append("--monitor readout")
            names = [name for name in names if name != READOUT_NAME] or None
        if board_only:
            typer.echo(f"note: {', '.join(board_only)} only apply to a board; the simulator ignores them", err=True)
        if live:
            _usage("--live needs a board; the simulator plays an --input file")
        if events is None:
            _usage("the simulator needs events to play: give --input events.h5")
        if duration_s is not None:
            events = events[events["t"] < duration_s * 1e6]
        result = _simulate(config, events, names, states, network, input)
    _finish(config, events, result, output)
    for line in _board_lines(config, result):
        typer.echo(line)


# ---------------------------------------------------------------- helpers


def _selftest(device: Optional[str], settle: Optional[float]) -> None:
    """The first-board checklist (docs/hardware.md); exit status 3 when a check fails."""
    from ..errors import EXIT_DEVICE
    from ..hardware import selftest

    if device == "sim":
        _usage("--selftest checks a board; give --device <board> (or none for the first attached)")
    report = selftest.run(device, settle_s=settle, progress=lambda line: typer.echo(line, err=True))
    for line in report.lines():
        typer.echo(line)
    if report.failed:
        raise typer.Exit(EXIT_DEVICE)


def _board_lines(config, result):
    """What only a board reports: the readout's decision (docs/hardware.md, "Readout")."""
    from ..chips import profile
    from ..events import readout_decision

    if result.readout is None and result.readout_pins is None:
        return []
    readout_core = profile(config.header.target).readout_layer
    feeding = [r.name for r in config.header.layers
               if any(d.enable and d.layer == readout_core for d in config.chip.cnn_layers[r.core].destinations)]
    decision = readout_decision(result)
    readings = (0 if result.readout_pins is None else len(result.readout_pins)) + \
        (0 if result.readout is None else len(result.readout))
    if decision is None:
        return [f"readout: no class reached the threshold ({readings} readings)"]
    source = "pin readings" if decision.source == "pins" else "readout values"
    tie = f"; tied with class {', '.join(map(str, decision.tied))}" if decision.tied else ""
    layer = f" of {feeding[0]}" if feeding else ""
    return [f"readout: class {decision.cls} (feature {decision.cls - 1}{layer}) in {decision.votes} of "
            f"{decision.readings} {source}{tie}"]


def _usage(message: str) -> NoReturn:
    """A command-line mistake found after parsing: exit status 2, like typer's own usage errors."""
    from ..errors import EXIT_USAGE

    typer.echo(f"usage error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _load(path: Path):
    from ..compiler import load_network

    return load_network(path)


def _check_output(path: Optional[Path]) -> None:
    """Find an unwritable -o before the run, not after it."""
    if path is not None:
        from ..fileio import ensure_writable

        ensure_writable(path)


def _read_input(path: Path, config, polarity: Optional[str] = None):
    """The file's events (event file, tonic .npy, AEDAT4) in the network's event kind, range-checked."""
    from ..inputs import POLARITY, for_network, read_events

    if polarity is not None and polarity not in POLARITY:
        raise typer.BadParameter(f"must be one of {', '.join(POLARITY)}", param_hint="--polarity")
    recording = for_network(read_events(path), config, polarity, str(path))
    for note in recording.notes:
        typer.echo(f"note: {note}", err=True)
    return recording.events


def _live_printer(config):
    """Print one line per interval of a live run (``--live``)."""
    from .outcome import live_line

    features = {record.name: record.output_shape[0] for record in config.header.layers}
    return lambda elapsed, counts: typer.echo(live_line(elapsed, counts, features))


def _monitor(text: Optional[str], config, board: bool = False):
    """None (as configured), "all", or layer names the network has; anything else is a usage error.

    ``board``: a readout network may also name ``readout`` (ReadoutValue events, docs/hardware.md).
    """
    if text is None or text.strip() == "all":
        return None if text is None else "all"
    from ..monitoring import choices

    valid = choices(config, readout=board)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in valid]
    if not names or unknown:
        found = f"no layer {', '.join(map(repr, unknown))}; " if unknown else ""
        _usage(f"--monitor {text!r}: {found}give comma-separated names from {', '.join(valid)}, or 'all'")
    return names


def _duration(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|ms|us|min)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        _usage(f"--duration {text!r}: give a positive time such as 2s, 500ms or 1.5")
    scale = {"s": 1.0, None: 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0}[match.group(2)]
    return float(match.group(1)) * scale


def _simulate(config, events, monitor, states: bool, network: Path, input: Optional[Path]):  # noqa: A002
    from ..sim import Simulator

    sim = Simulator(config, str(network))
    _kernel_note()
    if is_tty() and len(events) >= LONG_INPUT:
        with typer.progressbar(length=len(events), label="simulating", file=sys.stderr) as bar:
            last = [0]

            def advance(done: int, total: int) -> None:
                step = done * len(events) // max(total, 1)
                bar.update(step - last[0])
                last[0] = step

            return sim.run(events, monitor=monitor, record_states=states, progress=advance, source=str(input))
    return sim.run(events, monitor=monitor, record_states=states, source=str(input))


def _kernel_note() -> None:
    """Say once why a simulation will be slow, when it will."""
    from ..sim import COMPILED, FALLBACK_REASON

    if not COMPILED:
        typer.echo(f"note: the simulator runs its plain-Python kernel, hundreds of times slower: {FALLBACK_REASON}", err=True)


def _finish(config, events, result, output: Optional[Path]) -> None:
    from ..events import result_file, write_event_file

    from .outcome import run_lines

    for line in run_lines(config, events, result, output):
        typer.echo(line)
    if output is not None:
        write_event_file(output, result_file(result, config.header.name, events))
        typer.echo(f"wrote {output}", err=True)
