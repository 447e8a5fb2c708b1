"""dynapspec: declarative deployment of spiking CNNs onto SynSense DYNAP-CNN and Speck chips.

The Python API mirrors the command line, one function per verb:

    validate(spec)            every check, nothing written; returns the warnings
    compile(spec)             a Config (``config.to_json()`` is the document; ``config.warnings``)
    summary(spec)             shapes, memory, cores and edges, also of a network that does not fit
    weights(spec)             the weight datasets a spec needs; ``template=`` writes a file of them
    simulate(network, events) a run on the bit-accurate simulator -> RunResult
    deploy(network, ...)      a run on a board, or on the simulator when none is attached

Warnings are returned with the result and issued through :mod:`warnings` as
:class:`~dynapspec.errors.DynapspecWarning`; problems raise
:class:`~dynapspec.errors.SpecError` (invalid input) or :class:`~dynapspec.errors.DeviceError`
(board, samna, output file), each carrying every diagnostic found. Importing the package is
cheap: heavy modules load on first use.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "compile", "deploy", "load_spec", "simulate", "summary", "validate", "weights"]


def validate(spec, target=None):
    """Check a spec file and its weights against the chip: every check compilation runs, nothing
    written (``dynapspec validate``).

    Returns the warnings (a tuple of :class:`~dynapspec.errors.Diagnostic`), also issued through
    :mod:`warnings`; raises :class:`~dynapspec.errors.SpecError` listing every error.
    """
    return compile(spec, target).warnings


def compile(spec, target=None, output=None):  # noqa: A001 - the verb the command line uses
    """Compile a spec file into a :class:`dynapspec.config.Config` (``dynapspec compile``).

    ``target`` overrides the spec's board; ``output`` also writes the configuration document
    there, atomically. The warnings are on ``config.warnings`` and issued through :mod:`warnings`.
    Raises :class:`~dynapspec.errors.SpecError` listing every error.
    """
    from .compiler import compile_spec
    from .fileio import write_text

    config = compile_spec(spec, target=target).config
    _warn(config.warnings)
    if output is not None:
        write_text(output, config.to_json())
    return config


def summary(spec, target=None):
    """What ``dynapspec summary`` prints, as data: a :class:`dynapspec.overview.Summary`.

    ``str(result)`` is the printed tables; ``.layers``, ``.cores`` and ``.edges`` are rows. A network
    that does not fit is summarised too: ``.ok`` is False, ``.errors`` says why, and its layers
    carry their ``problems``. Raises :class:`~dynapspec.errors.SpecError` only when the spec's
    structure cannot be read.
    """
    from .overview import summarize

    result = summarize(spec, target)
    _warn(result.warnings)
    return result


def weights(spec, target=None, template=None, fill="zeros", seed=0):
    """The weight datasets a spec needs, worked out from the spec alone (``dynapspec weights``).

    Returns a list of :class:`dynapspec.weightfile.Need` (dataset path, shape, dtype, layout).
    ``template``: also write an HDF5 file with those datasets, ``fill`` "zeros" or "random"
    (seeded by ``seed``), marked as a template; an existing file is replaced.
    """
    from .errors import SpecError
    from .spec import load
    from .weightfile import FILLS, needs, write_template

    if fill not in FILLS:
        raise ValueError(f"fill must be one of {', '.join(FILLS)}")
    loaded = load(spec, read_weights=False)
    found, errors = needs(loaded, target)
    if errors:
        raise SpecError(errors)
    if template is not None:
        write_template(template, loaded, found, fill, seed)
    return found


def simulate(network, events, monitor=None, states=False, polarity=None, output=None):
    """Run a network on the bit-accurate chip simulator (``dynapspec simulate``).

    ``network``: a spec file (compiled on the fly), a compiled ``config.json`` or a Config.
    ``events``: an event file (``.h5``, tonic ``.npy``, ``.aedat4``) or a structured array
    (``x, y, t, p`` or ``t, c, x, y``; ``t`` in µs), converted to the network's input kind as
    the command line does (``polarity``: how DVS polarity maps onto a spike input's channels).
    ``monitor``: None (as configured), "all" or layer names; ``states``: keep final neuron states;
    ``output``: also write the run to this HDF5 file. Returns a :class:`dynapspec.events.RunResult`.
    """
    from .sim import Simulator

    config, source = _network(network)
    played = _events(events, config, polarity)
    result = Simulator(config, source).run(played, monitor=monitor, record_states=states, source=_name(events))
    _save(output, result, config, played)
    return result


def deploy(network, device=None, events=None, monitor=None, duration_s=None, states=False, polarity=None, output=None):
    """Run a network on a board through samna, or on the simulator (``dynapspec deploy``).

    ``device``: "sim", a board such as "speck2fdevkit:0", or None for the first free attached
    board, falling back to the simulator with a warning. On the simulator ``events`` are needed
    and ``duration_s`` drops input at or after it; on a board it bounds the run. Other arguments
    as in :func:`simulate`. Returns a :class:`dynapspec.events.RunResult`.
    """
    import warnings

    from .errors import DynapspecWarning

    config, source = _network(network)
    played = None if events is None else _events(events, config, polarity)
    if device is None:
        from . import hardware

        device, why = hardware.free_board(config)
        if device is None:
            warnings.warn(DynapspecWarning(f"{why}: running on the simulator"), stacklevel=2)
            device = "sim"
    if device != "sim":
        from . import hardware

        result = hardware.deploy(config, device, events=played, monitor=monitor, duration_s=duration_s, states=states)
    else:
        from .sim import Simulator

        if played is None:
            raise ValueError("the simulator needs events to play")
        if duration_s is not None:
            played = played[played["t"] < duration_s * 1e6]
        result = Simulator(config, source).run(played, monitor=monitor, record_states=states, source=_name(events))
    _save(output, result, config, played)
    return result


def load_spec(path):
    """Load and validate a spec file and its weights into a :class:`dynapspec.spec.model.Spec`."""
    from .spec import load

    return load(path)


# ---------------------------------------------------------------- helpers


def _warn(diagnostics) -> None:
    import warnings

    from .errors import DynapspecWarning

    for diagnostic in diagnostics:
        warnings.warn(DynapspecWarning(diagnostic), stacklevel=3)


def _network(network):
    """A Config and the name to use for it in messages."""
    from .config import Config

    if isinstance(network, Config):
        return network, "<config>"
    from .compiler import load_network

    config = load_network(network)
    _warn(config.warnings)
    return config, str(network)


def _name(events) -> str:
    return "<events>" if hasattr(events, "dtype") or isinstance(events, dict) else str(events)


def _events(events, config, polarity):
    """Events from a file or an array, in the network's input kind (notes become warnings)."""
    import warnings

    from .errors import DynapspecWarning
    from .events import as_events
    from .inputs import Recording, for_network, read_events

    if hasattr(events, "dtype") or isinstance(events, dict):
        names = set(events.dtype.names or ()) if hasattr(events, "dtype") else set(events)
        recording = Recording(as_events(events, "dvs" if "p" in names and "c" not in names else "spikes"))
    else:
        recording = read_events(events)
    recording = for_network(recording, config, polarity, _name(events))
    for note in recording.notes:
        warnings.warn(DynapspecWarning(note), stacklevel=3)
    return recording.events


def _save(output, result, config, played) -> None:
    if output is not None:
        from .events import result_file, write_event_file

        write_event_file(output, result_file(result, config.header.name, played))
