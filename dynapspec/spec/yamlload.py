"""Safe YAML reading that keeps the line and column of every value.

PyYAML's loaders drop duplicate keys silently, read ``no`` as ``false`` and construct objects from
tags. This module builds plain Python values (dict, list, str, int, float, bool, None) from the
parser's *event stream* itself, so it can refuse what hand-written specs get wrong:

- duplicate keys (``yaml-duplicate-key``), explicit tags (``yaml-tag``);
- YAML 1.1 traps whose meaning differs between YAML 1.1 (PyYAML) and YAML 1.2 / JSON
  (``yaml-ambiguous``): yes/no/on/off/y/n, ``1e3`` (a string in 1.1), ``0777`` (octal),
  ``1:20`` (base 60), ``1_000``, ``0b101``, dates, ``<<`` merge keys; the message says what to
  write instead, only values this reader accepts, and only the reading the key can take when the
  schema knows its type (``polarity: on`` -> write ``"on"``);
- alias bombs and deep nesting (``yaml-too-complex``), counted *before* anything is expanded:
  an alias costs the size of what it refers to, so a billion-laughs document stops at once;
  numbers written with more than ``limits.number_chars`` characters (Python refuses to convert
  integers of thousands of digits, and no setting needs them).

Composition is iterative (no recursion), so nesting depth is bounded by our limit, not by the
Python or C stack. Every value's position is recorded under its JSON path (``layers[1].conv``).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, cast

import yaml

from .. import limits
from ..errors import Diagnostic, Location, SpecError, error

MAX_DEPTH = limits.get("yaml_depth")  # nesting levels of collections
MAX_NODES = limits.get("yaml_values")  # values after expanding aliases
MAX_BYTES = limits.get("spec_bytes")  # a spec is a page of text, not a data file
NUMBER_CHARS = limits.get("number_chars")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when available

_T = "tag:yaml.org,2002:"
_YAML12_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_YAML11_ONLY_BOOL = re.compile(r"y|Y|n|N|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF")
_PLAIN_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


@dataclass(frozen=True)
class Document:
    """A parsed spec file: its data, where each value stands, and what was wrong with it."""

    data: Any
    positions: Dict[str, Tuple[int, int]]  # JSON path -> (line, column), 1-based
    diagnostics: Tuple[Diagnostic, ...]  # non-fatal: the data is complete but these paths are suspect
    flagged: frozenset  # JSON paths already reported (later checks stay quiet about them)


def child_path(parent: str, key) -> str:
    """``layers`` + 1 -> ``layers[1]``; ``layers[1]`` + ``conv`` -> ``layers[1].conv``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


class _Fatal(Exception):
    def __init__(self, code: str, message: str, mark=None, line: Optional[int] = None, column: Optional[int] = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.line = mark.line + 1 if mark is not None else line
        self.column = mark.column + 1 if mark is not None else column


class _Collection:
    """A mapping or sequence under construction."""

    __slots__ = ("value", "path", "key", "key_mark", "seen", "size", "height")

    def __init__(self, value, path: str):
        self.value, self.path = value, path
        self.key: Optional[str] = None  # mapping: the key waiting for its value
        self.key_mark: Any = None  # the key's yaml Mark
        self.seen: Dict[str, int] = {}  # mapping: key -> line of its first occurrence
        self.size = 1  # values in this subtree, aliases expanded
        self.height = 1  # collection levels in this subtree


def _line_col(text: str, offset: int) -> Tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_col(raw[: exc.start].decode("utf-8", "replace"), exc.start)
        raise _Fatal("yaml-syntax", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line=line, column=column) from None


def _yaml_number(value: float) -> str:
    """A number as text that YAML 1.1 and 1.2 both read as that number: ``1e-9`` -> ``1.0e-09``.

    YAML 1.1 floats need a dot, and a sign on the exponent; whole numbers are written as integers.
    """
    if math.isinf(value):
        return "-.inf" if value < 0 else ".inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)  # '0.25', '1e-09', '1.5e+20': the exponent always carries its sign
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}{e}{exponent}"


def _base60(text: str):
    sign = -1 if text.startswith("-") else 1
    value: float = 0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + (float(part) if "." in part else int(part))
    return sign * value


_KIND_WORDS = {"boolean": "a boolean", "number": "a number", "string": "a string"}


def _advice(reason: str, options, label: str, expects: Optional[frozenset], is_key: bool) -> str:
    """``reason; write `A` for the number, or `"B"` for the string``, keeping only what fits the key.

    ``options`` are (kind, text) pairs, each text a value this reader accepts. A mapping key is always
    a string; elsewhere ``expects`` (the JSON types the schema allows here, None if unknown) drops
    the readings the key cannot take, so ``polarity: on`` is told to write ``"on"``, not ``true``.
    """
    if is_key:
        expects, label = frozenset({"string"}), "a key"
    if expects is not None:
        allowed = {"number"} if expects & {"number", "integer"} else set()
        allowed |= expects & {"boolean", "string"}
        fitting = [(kind, text) for kind, text in options if kind in allowed]
        if len(fitting) == 1:
            kind, text = fitting[0]
            return f"{reason}; {label} takes {_KIND_WORDS[kind]}: write `{text}`"
        options = fitting or options
    return f"{reason}; write " + ", or ".join(f"`{text}` for the {kind}" for kind, text in options)


def _ambiguity(tag: str, text: str, is_key: bool, label: str, expects: Optional[frozenset]) -> Optional[str]:
    """Why a plain scalar means different things in YAML 1.1 and 1.2 (with what to write), or None."""
    quoted = json.dumps(text)

    def advise(reason: str, *options) -> str:
        return _advice(reason, options + (("string", quoted),), label, expects, is_key)

    if tag == _T + "bool" and text not in _PLAIN_BOOL or tag == _T + "str" and not is_key and _YAML11_ONLY_BOOL.fullmatch(text):
        meaning = "true" if text.lower() in ("y", "yes", "on") else "false"
        return advise(f"`{text}` is the boolean {meaning} in YAML 1.1 but the string \"{text}\" in YAML 1.2", ("boolean", meaning))
    if tag == _T + "str" and _YAML12_NUMBER.fullmatch(text):
        return advise(f"`{text}` is the string \"{text}\" in YAML 1.1 (PyYAML) but a number in YAML 1.2",
                      ("number", _yaml_number(float(text))))
    if tag == _T + "str" and re.fullmatch(r"0o[0-7]+", text):
        return advise(f"`{text}` is the string \"{text}\" in YAML 1.1 but the octal number {int(text, 8)} in YAML 1.2",
                      ("number", str(int(text, 8))))
    if tag in (_T + "int", _T + "float"):
        plain = text.replace("_", "")
        if ":" in text:
            value = _base60(text)
            return advise(f"`{text}` is the base-60 number {value:g} in YAML 1.1 but a string in YAML 1.2",
                          ("number", _yaml_number(float(value))))
        if re.fullmatch(r"[-+]?0[0-9]+", plain):
            return advise(
                f"`{text}` is the octal number {int(plain, 8)} in YAML 1.1 but {int(plain, 10)} in YAML 1.2",
                ("number", str(int(plain, 10))),
            )
        if re.fullmatch(r"[-+]?0b[01]+", plain):
            return advise(f"`{text}` is the binary number {int(plain, 0)} in YAML 1.1 but a string in YAML 1.2",
                          ("number", str(int(plain, 0))))
        if "_" in text:
            return advise(f"`{text}` is the number {plain} in YAML 1.1 but a string in YAML 1.2", ("number", plain))
    if tag == _T + "timestamp":
        return advise(f"`{text}` is a date in YAML 1.1 but a string in YAML 1.2")
    if tag == _T + "merge":
        return ("`<<` merge keys are a YAML 1.1 feature that other readers treat as an ordinary key; write the keys out, "
                "or reuse a whole value with an alias (*name)")
    if tag not in (_T + "str", _T + "bool", _T + "int", _T + "float", _T + "null"):
        return advise(f"`{text}` has the YAML 1.1 type {tag.rsplit(':', 1)[-1]}")
    return None


def _clip(text: str, width: int = 80) -> str:
    """A user's key or tag in a message: at most ``width`` characters."""
    return text if len(text) <= width else text[:width] + "..."


def _numeric(tag: str, text: str) -> bool:
    """Whether a plain scalar is (or in one YAML version reads as) a number."""
    return tag in (_T + "int", _T + "float") or tag == _T + "str" and bool(
        _YAML12_NUMBER.fullmatch(text) or re.fullmatch(r"0o[0-7]+", text)
    )


def _scalar(tag: str, text: str):
    """The plain value of a scalar whose YAML 1.1 and 1.2 readings agree."""
    if tag == _T + "null":
        return None
    if tag == _T + "bool":
        return _PLAIN_BOOL[text]
    if tag == _T + "int":
        return int(text, 0)
    if tag == _T + "float":
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        if lowered == ".nan":
            return float("nan")
        return float(text)
    return text


Expects = Callable[[str], Optional[frozenset]]  # JSON path -> the JSON types allowed there (None: unknown)


class _Composer:
    def __init__(self, text: str, file: str, expects: Optional[Expects] = None):
        self.file, self.expects = file, expects
        self.loader = _Loader(text)
        self.positions: Dict[str, Tuple[int, int]] = {}
        self.diagnostics: List[Diagnostic] = []
        self.flagged: set = set()
        self.anchors: Dict[str, Tuple[Any, int, int]] = {}  # name -> (value, size, height)
        self.open_anchors: Dict[int, str] = {}  # id(collection) -> anchor name
        self.stack: List[_Collection] = []
        self.total = 0
        self.root: Any = None
        self.documents = 0

    def report(self, code: str, message: str, mark, path: str) -> None:
        self.flagged.add(path)
        self.diagnostics.append(error(code, message, Location(self.file, mark.line + 1, mark.column + 1, path)))

    # -- where the next node goes
    def _slot(self) -> Tuple[str, bool]:
        """(JSON path of the next node, whether it is a mapping key)."""
        if not self.stack:
            return "", False
        top = self.stack[-1]
        if isinstance(top.value, list):
            return child_path(top.path, len(top.value)), False
        if top.key is None:
            return top.path, True
        return child_path(top.path, top.key), False

    def _count(self, size: int, depth: int, mark) -> None:
        """Refuse the document as soon as it grows too big or too deep (aliases expanded)."""
        self.total += size
        if self.total > MAX_NODES:
            raise _Fatal("yaml-too-complex",
                         f"the document expands to more than {MAX_NODES} values (aliases included); a spec needs far fewer", mark)
        if depth > MAX_DEPTH:
            raise _Fatal("yaml-too-complex", f"the document nests deeper than {MAX_DEPTH} levels", mark)

    def _deliver(self, value, size: int, height: int, mark, path: str, is_key: bool, anchor: Optional[str]) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size, height)
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        if isinstance(top.value, list):
            top.value.append(value)
        elif is_key:
            top.key, top.key_mark = value, mark
        else:
            key = cast(str, top.key)  # a mapping value always follows its key
            first = top.seen.get(key)
            if first is not None:
                self.report(
                    "yaml-duplicate-key",
                    f"key `{_clip(key)}` appears twice in this mapping (first on line {first}); "
                    "YAML readers would silently keep only the last one: remove one of them",
                    top.key_mark,
                    path,
                )
            top.seen[key] = top.key_mark.line + 1
            top.value[key] = value
            top.key = None

    # -- events
    def _scalar_event(self, event) -> None:
        path, is_key = self._slot()
        self._count(1, len(self.stack), event.start_mark)
        text = event.value
        if event.tag is not None:  # any explicit tag: ``!!str 1``, ``!foo``, ``!``
            self._tag_error(event, path)
            tag = _T + "str"
        elif event.implicit[0]:  # plain
            tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        else:  # quoted or block scalar
            tag = _T + "str"
        problem = self._ambiguity(tag, text, path, is_key) if event.implicit[0] else None
        if event.implicit[0] and len(text) > NUMBER_CHARS and _numeric(tag, text):
            self.report(
                "yaml-too-complex",
                f"a number written with {len(text)} characters; numbers in a spec have at most {NUMBER_CHARS} (no chip setting needs more)",
                event.start_mark,
                path if not is_key else child_path(path, text),
            )
            value = text
        elif problem is not None:
            self.report("yaml-ambiguous", problem, event.start_mark, path if not is_key else child_path(path, text))
            value = text
        else:
            value = text if is_key else _scalar(tag, text)
        if not is_key:
            self.positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        self._deliver(value, 1, 0, event.start_mark, path, is_key, event.anchor)

    def _ambiguity(self, tag: str, text: str, path: str, is_key: bool) -> Optional[str]:
        if len(text) > NUMBER_CHARS and _numeric(tag, text):
            return None  # reported as too long; converting it could fail
        label = path.rsplit(".", 1)[-1] or "this value"
        problem = _ambiguity(tag, text, is_key, label, None)
        if problem is None or self.expects is None or is_key:
            return problem
        return _ambiguity(tag, text, is_key, label, self.expects(path))  # the schema is asked about suspect values only

    def _tag_error(self, event, path: str) -> None:
        self.report(
            "yaml-tag",
            f"the tag `{_clip(event.tag.replace(_T, '!!'))}` is not accepted: a spec holds plain data only "
            "(mappings, lists, strings, numbers, booleans); remove the tag",
            event.start_mark,
            path,
        )

    def _start(self, event, value) -> None:
        path, is_key = self._slot()
        if event.tag is not None:
            self._tag_error(event, path)
        self._count(1, len(self.stack) + 1, event.start_mark)
        if is_key:
            raise _Fatal("spec-type", "a mapping key must be a plain string, not a list or mapping", event.start_mark)
        top = self.stack[-1] if self.stack else None
        mark = top.key_mark if top is not None and isinstance(top.value, dict) else event.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)  # a mapping value: where its key is
        collection = _Collection(value, path)
        if event.anchor is not None:
            self.open_anchors[id(collection)] = event.anchor
        self.stack.append(collection)

    def _end(self, event) -> None:
        done = self.stack.pop()  # never a mapping key: _start refuses those
        self._deliver(done.value, done.size, done.height, event.start_mark, done.path, False, self.open_anchors.pop(id(done), None))

    def _alias(self, event) -> None:
        path, is_key = self._slot()
        if event.anchor not in self.anchors:
            if event.anchor in self.open_anchors.values():
                raise _Fatal("yaml-too-complex", f"the alias *{event.anchor} refers to a value that contains it (a recursive structure)",
                             event.start_mark)
            raise _Fatal("yaml-syntax", f"the alias *{event.anchor} refers to no anchor &{event.anchor} defined before it",
                         event.start_mark)
        value, size, height = self.anchors[event.anchor]
        self._count(size, len(self.stack) + height, event.start_mark)
        if is_key and not isinstance(value, str):
            raise _Fatal("spec-type", "a mapping key must be a plain string", event.start_mark)
        if not is_key:
            self.positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        self._deliver(value, size, height, event.start_mark, path, is_key, None)

    def run(self) -> Any:
        loader = self.loader
        try:
            while loader.check_event():
                event = loader.get_event()
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    self._scalar_event(event)
                elif kind is yaml.MappingStartEvent:
                    self._start(event, {})
                elif kind is yaml.SequenceStartEvent:
                    self._start(event, [])
                elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                    self._end(event)
                elif kind is yaml.AliasEvent:
                    self._alias(event)
                elif kind is yaml.DocumentStartEvent:
                    self.documents += 1
                    if self.documents > 1:
                        raise _Fatal("yaml-syntax", "the file holds more than one YAML document (a second `---`); "
                                     "a spec is one document", event.start_mark)
        finally:
            loader.dispose()
        return self.root


def parse(raw: bytes, file: str, expects: Optional[Expects] = None, size: Optional[int] = None) -> Document:
    """Parse the bytes of a spec file. Raises SpecError for what makes the data unusable.

    ``expects`` tells which JSON types the schema allows at a path, so that advice about an
    ambiguous value offers only readings the key can take. ``size`` is the file's size when
    ``raw`` holds only its first MAX_BYTES + 1 bytes (None: ``raw`` is the whole file; 0: unknown).
    """
    try:
        if len(raw) > MAX_BYTES:
            size = len(raw) if size is None else size
            found = f"{size} bytes" if size >= len(raw) else f"more than {MAX_BYTES} bytes"
            raise _Fatal("yaml-too-complex", f"the file is {found}; a spec is limited to {MAX_BYTES} bytes ({MAX_BYTES >> 20} MiB)",
                         line=1, column=1)
        text = _decode(raw)
        composer = _Composer(text, file, expects)
        data = composer.run()
    except _Fatal as exc:
        raise SpecError([error(exc.code, exc.message, Location(file, exc.line, exc.column))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "malformed YAML"
        if exc.context:
            message += f" ({exc.context}"
            if exc.context_mark is not None and exc.context_mark is not mark:
                message += f" started on line {exc.context_mark.line + 1}"
            message += ")"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        code = "yaml-too-complex" if "nesting depth" in message else "yaml-syntax"
        raise SpecError([error(code, message, Location(file, line, column))]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_col(text, exc.position)
        message = f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})"
        raise SpecError([error("yaml-syntax", message, Location(file, line, column))]) from None
    except RecursionError:  # defensive: the parser itself should never recurse this deep
        raise SpecError([error("yaml-too-complex", f"the document nests deeper than {MAX_DEPTH} levels", Location(file))]) from None
    positions = dict(composer.positions)
    positions.setdefault("", (1, 1))
    return Document(data, positions, tuple(composer.diagnostics), frozenset(composer.flagged))
