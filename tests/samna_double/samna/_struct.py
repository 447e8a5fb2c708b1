"""Strict structs: the part of pybind11's behaviour the adapter must survive.

Like samna's bound C++ structs (every class in samna's 0.48.5 reference has ``Bases:
pybind11_object``), an attribute that does not exist raises AttributeError and a value of the wrong
type raises TypeError. The conversion rules are pybind11's (``include/pybind11/cast.h``):

* an ``int`` refuses a ``float`` even in convert mode ("Explicitly reject float -> int conversion
  even in convert mode"), accepts Python ints (``bool`` included) and anything with ``__index__``
  (numpy integers); values outside the C type do not load;
* a ``bool`` takes ``True``/``False`` and ``numpy.bool_``; only in convert mode does it take other
  objects with ``__bool__`` (an int). Whether samna's setters run in convert mode is not documented,
  so the double's struct fields refuse an int (the adapter must write real bools), while fields that
  samna's own examples fill with ints (``DvsEvent.p``: sinabs' tutorials write ``random.randint``)
  convert;
* arrays (``std::vector``) are copied in and out by pybind11's list caster: a fresh list each read,
  or, with ``ARRAYS[0] = "tuple"``, nested tuples, so the adapter must compare values, not types;
* nested structs come back by reference (``COPIES[0] = True`` plays a samna that returns copies);
  lists of structs come back as a new list holding the same struct objects.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

INT8 = (-128, 127)
UINT8 = (0, 255)
INT16 = (-32768, 32767)
UINT16 = (0, 65535)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

COPIES = [False]  # True: nested structs come back as copies (see _double.reset)
ARRAYS = ["list"]  # "tuple": array fields come back as nested tuples (see _double.reset)


def load_int(name: str, value, bounds: Tuple[int, int]) -> int:
    """pybind11's integer caster: no float, ever; ints and ``__index__`` objects; C range checked."""
    if isinstance(value, float) or not (isinstance(value, int) or hasattr(type(value), "__index__")):
        raise TypeError(f"{name}: incompatible value {value!r} (expected an integer)")
    value = int(value.__index__())
    if not bounds[0] <= value <= bounds[1]:
        raise TypeError(f"{name}: {value} does not fit the C type range {bounds}")
    return value


def load_bool(name: str, value, convert: bool = False) -> bool:
    """pybind11's bool caster: True/False and numpy.bool_ always; ``__bool__`` objects in convert mode."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if convert and (value is None or hasattr(type(value), "__bool__")):
        return bool(value)
    raise TypeError(f"{name}: incompatible value {value!r} (expected a bool)")


def _nested(array: np.ndarray):
    listed = array.tolist()
    if ARRAYS[0] != "tuple":
        return listed

    def tuples(item):
        return tuple(tuples(i) for i in item) if isinstance(item, list) else item

    return tuples(listed)


class Field:
    """How one attribute is typed: ``int``, ``bool``, ``array``, ``struct`` or ``structs``."""

    def __init__(self, kind: str, default: Any = None, bounds: Tuple[int, int] = INT16, ndim: int = 0,
                 element: str = "int", cls: Optional[type] = None, count: int = 0, init: Optional[dict] = None,
                 convert: bool = False):
        self.kind, self.default, self.bounds = kind, default, bounds
        self.ndim, self.element, self.cls, self.count = ndim, element, cls, count
        self.init = init or {}
        self.convert = convert

    def make_default(self):
        if self.kind == "struct":
            return self.cls(**self.init)
        if self.kind == "structs":
            return [self.cls() for _ in range(self.count)]
        return copy.deepcopy(self.default)

    def check(self, name: str, value):
        if self.kind == "int":
            return load_int(name, value, self.bounds)
        if self.kind == "bool":
            return load_bool(name, value, self.convert)
        if self.kind == "array":
            return self._array(name, value)
        if self.kind == "struct":
            if not isinstance(value, self.cls):
                raise TypeError(f"{name}: expected {self.cls.__name__}, got {type(value).__name__}")
            return value
        if self.kind == "structs":
            items = list(value) if isinstance(value, (list, tuple)) else None
            if items is None or len(items) != self.count or not all(isinstance(v, self.cls) for v in items):
                raise TypeError(f"{name}: expected {self.count} {self.cls.__name__} objects")
            return items
        raise AssertionError(self.kind)

    def _array(self, name: str, value) -> np.ndarray:
        """Nested sequences (or an array) of the element type, stored as numpy, handed out as new sequences."""
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name}: expected a nested sequence, got {type(value).__name__}")
        try:
            array = np.array(value)
        except ValueError:
            raise TypeError(f"{name}: ragged nested list") from None
        if array.size == 0:
            return np.zeros((0,), dtype=bool if self.element == "bool" else np.int64)
        if array.ndim != self.ndim:
            raise TypeError(f"{name}: expected a nested list of depth {self.ndim}, got depth {array.ndim}")
        if self.element == "bool":
            if array.dtype != bool:
                raise TypeError(f"{name}: incompatible values of type {array.dtype} (expected bool)")
            return array
        if array.dtype.kind not in "iu":  # floats are refused element by element, as by the int caster
            raise TypeError(f"{name}: incompatible values of type {array.dtype} (expected integers)")
        if array.min() < self.bounds[0] or array.max() > self.bounds[1]:
            raise TypeError(f"{name}: values in [{array.min()}, {array.max()}] do not fit the C type range {self.bounds}")
        return array


def I(default=0, bounds=INT16) -> Field:  # noqa: E743 - short names keep the tables readable
    return Field("int", default, bounds)


def B(default=False, convert=False) -> Field:
    return Field("bool", default, convert=convert)


def A(ndim: int, bounds=INT16, element="int") -> Field:
    return Field("array", np.zeros((0,), dtype=bool if element == "bool" else np.int64), bounds, ndim=ndim,
                 element=element)


def S(cls, **init) -> Field:
    return Field("struct", cls=cls, init=init)


def L(cls, count: int) -> Field:
    return Field("structs", cls=cls, count=count)


class Struct:
    """Base of every fake samna struct; subclasses set ``_fields`` and, where samna documents one,
    ``_effects``: a setter's side effect on other fields of the same struct."""

    __slots__ = ("_values",)
    _fields: Dict[str, Field] = {}
    _effects: Dict[str, Callable[["Struct", Any], None]] = {}

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_values", {n: f.make_default() for n, f in self._fields.items()})
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__}: too many positional arguments")
        for name, value in zip(self._fields, args):
            setattr(self, name, value)
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __getattr__(self, name):
        fields = type(self)._fields
        if name not in fields:
            raise AttributeError(f"'{type(self).__module__}.{type(self).__name__}' object has no attribute '{name}'")
        value = object.__getattribute__(self, "_values")[name]
        kind = fields[name].kind
        if kind == "array":
            return _nested(value)
        if COPIES[0] and kind in ("struct", "structs"):  # play a samna that returns copies
            return value._clone() if kind == "struct" else [v._clone() for v in value]
        if kind == "structs":
            return list(value)
        return value

    def _clone(self) -> "Struct":
        clone = type(self)()
        for name, value in object.__getattribute__(self, "_values").items():
            if isinstance(value, Struct):
                value = value._clone()
            elif isinstance(value, list) and value and isinstance(value[0], Struct):
                value = [v._clone() for v in value]
            elif isinstance(value, np.ndarray):
                value = value.copy()
            object.__getattribute__(clone, "_values")[name] = value
        return clone

    def __setattr__(self, name, value):
        fields = type(self)._fields
        if name not in fields:
            raise AttributeError(f"'{type(self).__module__}.{type(self).__name__}' object has no attribute '{name}'")
        stored = fields[name].check(name, value)
        object.__getattribute__(self, "_values")[name] = stored
        effect = type(self)._effects.get(name)
        if effect is not None:
            effect(self, stored)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(...)"


def struct(module: str, name: str, fields: Dict[str, Field], effects: Optional[Dict[str, Callable]] = None) -> type:
    """A new Struct class named like samna's, living in ``module``."""
    return type(name, (Struct,), {"__slots__": (), "_fields": fields, "_effects": effects or {},
                                  "__module__": module, "__qualname__": name})
