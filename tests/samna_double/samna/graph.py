"""``samna.graph`` of the double: nodes pass events along edges only while their graph runs.

samna 0.48.5 docs, Filters: ``EventFilterGraph.sequential`` chains nodes, ``start``/``stop`` run the
graph; a ``BasicSourceNode_<chip>_event_input_event`` takes ``write(list)`` of the chip's input
events, a ``BasicSinkNode_<chip>_event_output_event`` buffers until ``get_events()``.
"""
from __future__ import annotations

from typing import List, Sequence


class Node:
    """Something events flow through. Subclasses override ``_receive``."""

    def __init__(self):
        self._edges: List[tuple] = []  # (graph, next node)

    def _emit(self, events: list) -> None:
        for graph, target in self._edges:
            if graph is None or graph._running:
                target._receive(events)

    def _receive(self, events: list) -> None:
        self._emit(events)


class SourceNode(Node):
    """A host-side BasicSourceNode: ``write`` accepts only its chip's input event types."""

    accepts: tuple = ()

    def write(self, events: Sequence) -> None:
        events = list(events)
        for event in events:
            if not isinstance(event, self.accepts):
                raise TypeError(f"{type(self).__name__}.write: incompatible event {type(event).__module__}."
                                f"{type(event).__name__}")
        self._emit(events)


class SinkNode(Node):
    """A host-side BasicSinkNode: buffers until read. Events reach the buffer ``latency_polls`` polls
    after the chip produced them (a USB round trip the host cannot see)."""

    def __init__(self):
        super().__init__()
        self._buffer: list = []  # (poll count when produced, event)

    def _receive(self, events: list) -> None:
        from . import _double

        self._buffer.extend((_double.state.polls, e) for e in events)

    def get_events(self) -> list:
        from . import _double

        _double.on_poll(self)
        state = _double.state
        ready = [i for i, (born, _) in enumerate(self._buffer) if state.polls - born >= state.latency_polls]
        take = len(ready) if state.trickle is None else min(state.trickle, len(ready))
        chosen = set(ready[:take])
        out = [e for i, (_, e) in enumerate(self._buffer) if i in chosen]
        self._buffer = [item for i, item in enumerate(self._buffer) if i not in chosen]
        return out

    def get_events_blocking(self, timeout: int = 0) -> list:
        return self.get_events()


def host_node_classes(chip: str, source_name: str, sink_name: str, event_module) -> list:
    accepts = tuple(getattr(event_module, n) for n in ("Spike", "DvsEvent", "ReadNeuronValue", "WriteNeuronValue"))
    source = type(source_name, (SourceNode,), {"accepts": accepts, "__module__": "samna"})
    sink = type(sink_name, (SinkNode,), {"__module__": "samna"})
    return [source, sink]


class EventFilterGraph:
    def __init__(self):
        self._running = False

    def sequential(self, nodes: Sequence) -> list:
        nodes = list(nodes)
        for node in nodes:
            if not isinstance(node, Node):
                raise TypeError(f"EventFilterGraph.sequential: the double has no filter {node!r}")
        for a, b in zip(nodes, nodes[1:]):
            a._edges.append((self, b))
        return nodes

    def start(self) -> bool:
        self._running = True
        return True

    def stop(self) -> None:
        self._running = False

    def is_running(self) -> bool:
        return self._running


def sink_from(node: Node) -> SinkNode:
    sink = SinkNode()
    node._edges.append((None, sink))
    return sink
