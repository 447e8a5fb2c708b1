"""The JSON schema of the spec language, and its failures as one-line diagnostics.

The schema (``schema/dynapspec.schema.json``, shipped as ``dynapspec/data/``) is the normative
definition of the language. Besides standard draft-07 keywords it carries three annotations that
only this module reads:

- ``x-code``: the diagnostic code for a value that breaks this subschema's constraints
  (``kernel-range``, ``stride-value``, ...); without it: ``spec-invalid``;
- ``x-allowed``: the "what is allowed" half of the message;
- ``x-message``: a whole message, for ``oneOf`` choices and refused keys (``bias``).

For ``oneOf`` failures the branch whose type matches the value is followed, so a user reads
"kernel 17 is above the maximum 16; the chip allows square kernels 1..16", not a oneOf dump.
Keys that exist only to be refused (``bias``) are never offered as allowed keys or suggestions.
:func:`expects` answers which JSON types a data path takes, for the YAML reader's advice.
"""
from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ..errors import Diagnostic, error
from ..suggest import Suggester
from .model import Locator
from .yamlload import child_path

_DEFAULT_CODES = {"type": "spec-type", "required": "spec-missing-key", "additionalProperties": "spec-unknown-key"}
_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def schema_text() -> str:
    """The schema exactly as shipped (what `dynapspec schema` prints)."""
    return resources.files("dynapspec").joinpath("data/dynapspec.schema.json").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def schema() -> Mapping[str, Any]:
    return json.loads(schema_text())


@functools.lru_cache(maxsize=None)
def _validator():
    from jsonschema import Draft7Validator

    return Draft7Validator(schema())


_SHOWN_CHARS = 80  # characters of a user's string a message shows
_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


@functools.lru_cache(maxsize=1024)
def expects(path: str) -> Optional[frozenset]:
    """The JSON types the schema allows at a data path (``input.dvs.polarity`` -> {string}).

    None when the path is unknown to the schema or allows anything (extension keys).
    """
    tokens = [int(index) if index else key for index, key in _PATH_TOKEN.findall(path)]
    found = _types_at(schema(), tokens)
    return frozenset(found) if found else None


def _types_at(node, tokens) -> Optional[set]:
    """Types at ``tokens`` below ``node``: a set (empty: nothing can be there), None for anything.

    A value must satisfy the node and one of its ``oneOf``/``anyOf`` branches: the answer is what
    the node's own keywords allow, narrowed by the union of what the branches allow.
    """
    if not isinstance(node, dict):
        return None if node is not False else set()
    if "$ref" in node:
        return _types_at(_resolve(node["$ref"]), tokens)
    own = _own_types_at(node, tokens)
    branches = node.get("oneOf") or node.get("anyOf")
    if not branches:
        return own
    found = [_types_at(branch, tokens) for branch in branches]
    either = None if any(f is None for f in found) else set().union(*(f for f in found if f is not None))
    return either if own is None else own if either is None else own & either


def _own_types_at(node: Mapping, tokens) -> Optional[set]:
    declared = node.get("type")
    declared = {declared} if isinstance(declared, str) else set(declared) if declared else None
    if not tokens:
        if declared is None and ("const" in node or "enum" in node):
            return {_json_type(v) for v in ([node["const"]] if "const" in node else node["enum"])}
        return declared
    head, rest = tokens[0], tokens[1:]
    if isinstance(head, int):
        if declared is not None and "array" not in declared:
            return set()
        items = node.get("items")
        if isinstance(items, list):
            items = items[head] if head < len(items) else node.get("additionalItems")
        return _types_at(items, rest) if items is not None else None
    if declared is not None and "object" not in declared:
        return set()
    if head in node.get("properties", {}):
        return _types_at(node["properties"][head], rest)
    for pattern, sub in node.get("patternProperties", {}).items():
        if re.search(pattern, head):
            return _types_at(sub, rest)
    extra = node.get("additionalProperties")
    return _types_at(extra, rest) if extra is not None else None


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null" if value is None else "object"


def _describe(value, quoted: bool = False, short: bool = False) -> str:
    """How a value reads to the user: ``the string "5"`` (or ``"5"``), ``a list``, ``17``.

    Strings are shown as JSON strings, so a newline or tab inside reads as ``\\n`` and a message
    stays on one line; ``short`` cuts a string of more than 40 characters to its first 32, and any
    string is cut at ``_SHOWN_CHARS`` (a 3 MiB value must not make a 3 MiB message).
    """
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        cut = 32 if short and len(value) > 40 else _SHOWN_CHARS if len(value) > _SHOWN_CHARS else None
        text = json.dumps(value[:cut], ensure_ascii=False)
        text = text[:-1] + '..."' if cut is not None else text
        return text if quoted else f"the string {text}"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return "a mapping" if isinstance(value, dict) else "a list"


def _path(err) -> str:
    return functools.reduce(child_path, err.absolute_path, "")


def _label(path: str) -> str:
    """The last key of a path, with its index: ``layers[0].input.shape[1]`` -> ``shape[1]``."""
    return path.rsplit(".", 1)[-1] if path else "the spec"


def _expected(type_value) -> str:
    types = [type_value] if isinstance(type_value, str) else list(type_value)
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _branch_type(branch: Mapping) -> str:
    """What a oneOf branch expects, in words (``an integer``, ``a mapping {x, y}``)."""
    if "$ref" in branch:
        branch = _resolve(branch["$ref"])
    words = _expected(branch.get("type", "value"))
    if branch.get("type") == "object" and branch.get("properties"):
        words += " {" + ", ".join(branch["properties"]) + "}"
    return words


def _resolve(ref: str) -> Mapping:
    node: Any = schema()
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _allowed(err) -> str:
    allowed = err.schema.get("x-allowed") if isinstance(err.schema, dict) else None
    return f"; {allowed}" if allowed else ""


def _number_message(err, label: str) -> str:
    limit = err.validator_value
    words = {
        "minimum": f"is below the minimum {limit}",
        "maximum": f"is above the maximum {limit}",
        "exclusiveMinimum": f"must be above {limit}",
        "exclusiveMaximum": f"must be below {limit}",
    }[err.validator]
    return f"{label} {_describe(err.instance)} {words}{_allowed(err)}"


def _closest(found: str, options: List[str]) -> List[str]:
    """The options a mistyped value most likely meant: those it begins (``speck2f`` -> both
    Speck 2f boards), else the closest spelling."""
    started = [o for o in options if o.lower().startswith(found.lower())] if found else []
    if started:
        return started if len(started) <= 3 else []  # more: the list of what is allowed follows anyway
    return Suggester(options).closest(found)


def _refused(subschema) -> bool:
    """A property that exists only to be refused with its own message (``bias``)."""
    return isinstance(subschema, dict) and subschema.get("not") == {}


def _options(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _message(err, path: str) -> str:
    """What is wrong and what is allowed, for one leaf error."""
    label = _label(path)
    v = err.validator
    custom = err.schema.get("x-message") if isinstance(err.schema, dict) else None
    if custom and v not in _DEFAULT_CODES:
        return custom
    if v == "type":
        return f"{label} must be {_expected(err.validator_value)}, not {_describe(err.instance)}{_allowed(err)}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _number_message(err, label)
    if v == "enum":
        options = err.validator_value
        found = _describe(err.instance, quoted=True)
        hint = ""
        if isinstance(err.instance, str):
            close = _closest(err.instance, [str(o) for o in options])
            hint = f" (did you mean {' or '.join(f'`{c}`' for c in close)}?)" if close else ""
        return f"{label} {found} is not allowed{hint}" + (_allowed(err) or f"; allowed: {_options(options)}")
    if v == "const":
        return f"{label} {_describe(err.instance, quoted=True)} is not supported" + (_allowed(err) or f"; write {err.validator_value}")
    if v in ("maxItems", "minItems", "additionalItems"):
        count = len(err.instance)
        bound = err.schema.get("maxItems") if v != "minItems" else err.validator_value
        words = f"; it takes at most {bound}" if v != "minItems" else f"; it takes at least {bound}"
        return f"{label} has {count} entr{'y' if count == 1 else 'ies'}{_allowed(err) or words}"
    if v == "maxLength":
        described = _describe(err.instance, quoted=True, short=True)
        return f"{label} {described} has {len(err.instance)} characters; at most {err.validator_value} are allowed"
    if v in ("pattern", "not", "minLength"):
        shown = _describe(err.instance, quoted=True) if err.instance != "" else "an empty string"
        return f"{label} {shown} is not allowed{_allowed(err) or '; ' + _clip(err.message)}"
    return _clip(err.message)


def _clip(text: str) -> str:
    """jsonschema's own message, which quotes the whole value, cut to a readable length."""
    return text if len(text) <= 4 * _SHOWN_CHARS else text[: 4 * _SHOWN_CHARS] + "..."


def _code(err) -> str:
    if err.validator in _DEFAULT_CODES:
        return _DEFAULT_CODES[err.validator]
    code = err.schema.get("x-code") if isinstance(err.schema, dict) else None
    return code or "spec-invalid"


class _Converter:
    def __init__(self, data, locator: Locator):
        self.data, self.locator = data, locator
        self.out: List[Diagnostic] = []

    def emit(self, code: str, path: str, message: str) -> None:
        self.out.append(error(code, message, self.locator.at(path, _layer_name(self.data, path))))

    def convert(self, err) -> None:
        path = _path(err)
        if err.validator in ("oneOf", "anyOf"):
            self._choice(err, path)
        elif err.validator == "required":
            present = err.instance if isinstance(err.instance, dict) else {}
            for key in err.validator_value:
                if key not in present:
                    sub = err.schema.get("properties", {}).get(key, {})
                    what = sub.get("description") or (_resolve(sub["$ref"]).get("description") if "$ref" in sub else "")
                    self.emit("spec-missing-key", path, f"missing key `{key}`" + (f" ({what})" if what else ""))
        elif err.validator == "additionalProperties":
            properties = err.schema.get("properties", {})
            known = [key for key, sub in properties.items() if not _refused(sub)]
            suggester = Suggester(known)
            for key in err.instance:
                if key in properties or key.startswith("x-"):
                    continue
                close = suggester.closest(key)
                hint = f"did you mean `{close[0]}`? " if close else ""
                key_path = child_path(path, key)
                shown = json.dumps(key[:_SHOWN_CHARS], ensure_ascii=False)[1:-1] + ("..." if len(key) > _SHOWN_CHARS else "")
                self.emit(
                    "spec-unknown-key",
                    key_path,
                    f"unknown key `{shown}`; {hint}allowed here: {', '.join(known)} (and extension keys starting with x-)",
                )
        else:
            self.emit(_code(err), path, _message(err, path))

    def _choice(self, err, path: str) -> None:
        custom = err.schema.get("x-message")
        if not err.context:  # several branches matched
            self.emit(_code(err), path, custom or _clip(err.message))
            return
        branches: Dict[Any, list] = {}
        for sub in err.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = {
            i: subs for i, subs in branches.items() if not any(s.validator == "type" and not s.relative_path for s in subs)
        }
        if custom:
            code = "spec-missing-key" if all(s.validator == "required" for s in err.context) else "spec-invalid"
            self.emit(code, path, custom)
        elif len(fitting) == 1:
            for sub in next(iter(fitting.values())):
                self.convert(sub)
        elif not fitting:
            expected = " or ".join(_branch_type(b) for b in err.validator_value)
            self.emit("spec-type", path, f"{_label(path)} must be {expected}, not {_describe(err.instance)}")
        else:
            from jsonschema.exceptions import best_match

            self.convert(best_match(s for subs in fitting.values() for s in subs))


def _layer_name(data, path: str):
    if not path.startswith("layers[") or not isinstance(data, dict):
        return None
    try:
        layer = data["layers"][int(path[7 : path.index("]")])]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    name = layer.get("name") if isinstance(layer, dict) else None
    return name if isinstance(name, str) else None


def _under(path: str, flagged: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f + ".") or path.startswith(f + "[") for f in flagged)


def check(data, locator: Locator, flagged: Iterable[str] = ()) -> List[Diagnostic]:
    """Every schema violation of ``data`` as a diagnostic (paths already reported are skipped)."""
    if data is None:  # an empty file, or only comments
        return [error("spec-type", "the file is empty (no YAML document); a spec starts with `dynapspec: 1`", locator.at(""))]
    converter = _Converter(data, locator)
    for err in _validator().iter_errors(data):
        converter.convert(err)
    flagged = tuple(flagged)
    typed = {d.location.path for d in converter.out if d.code == "spec-type"}
    seen = set()
    out = []
    for diag in converter.out:
        key = (diag.code, diag.location.path, diag.message)
        if key in seen or _under(diag.location.path, flagged):
            continue
        if diag.location.path in typed and diag.code != "spec-type":
            continue  # a value of the wrong type: its range or enum errors add nothing
        seen.add(key)
        out.append(diag)
    return out
