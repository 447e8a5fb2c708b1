"""``samna.graph`` of the double: nodes pass events along edges only while their graph runs."""
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
    """A host-side BasicSinkNode: buffers until read."""

    def __init__(self):
        super().__init__()
        self._buffer: list = []

    def _receive(self, events: list) -> None:
        self._buffer.extend(events)

    def get_events(self) -> list:
        from . import _double

        _double.on_poll(self)
        take = len(self._buffer) if _double.state.trickle is None else _double.state.trickle
        out, self._buffer = self._buffer[:take], self._buffer[take:]
        return out

    def get_events_blocking(self, timeout: int = 0) -> list:
        return self.get_events()

    def get_n_events(self, n: int) -> list:
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


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
