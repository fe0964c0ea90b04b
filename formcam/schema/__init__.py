"""The JSON Schemas of what formcam writes and reads back, and checking a file's content against them.

``report.schema.json`` is report.json's contract (docs/design.md);
``pose_extras.schema.json`` is the pose file's ``extras_json`` (docs/pose-file.md),
whose ``video`` section is report.json's. A file formcam reads back (a report
for ``formcam compare``, a pose file for ``formcam analyze --pose``) is
checked here before anything uses it, so that a damaged or hand-made file is
refused in one sentence (exit 3) rather than failing half-way.

    >>> from formcam.schema import parse_json, schema_problem
    >>> schema_problem({"schema_version": 1}, "report")
    "it has no 'formcam_version'"
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

__all__ = ["SCHEMA_FILES", "parse_json", "schema", "schema_problem"]

#: Each schema's short name and its file in this folder.
SCHEMA_FILES = {"report": "report.schema.json", "pose_extras": "pose_extras.schema.json"}

_KIND = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
}


@cache
def schema(name: str) -> dict:
    """The JSON Schema (draft 2020-12) called ``name`` in :data:`SCHEMA_FILES`."""
    text = resources.files("formcam").joinpath(f"schema/{SCHEMA_FILES[name]}").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str):
    import jsonschema  # 0.07 s to import: only when a file is checked
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (schema(other)["$id"], Resource.from_contents(schema(other))) for other in SCHEMA_FILES
    )
    return jsonschema.Draft202012Validator(schema(name), registry=registry)


def _reject_constant(word: str):
    raise ValueError(f"{word} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def parse_json(text: str, *, finite: bool = True):
    """JSON text as Python values; ``finite``: refuse NaN, Infinity and numbers too large for a float.

    Raises
    ------
    ValueError
        With a short reason (also for JSON nested too deeply to read).
    """
    try:
        if finite:
            return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        return json.loads(text)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def _where(path) -> str:
    return ".".join(str(part) for part in path) or "it"


def _kind(value) -> str:
    return _KIND.get(type(value), type(value).__name__)


def _words(error) -> str:
    """One of jsonschema's errors as a clause (no instance dumped: it may be huge)."""
    where, rule, allowed = _where(error.absolute_path), error.validator, error.validator_value
    if rule == "required":
        missing = [key for key in allowed if key not in error.instance]
        return f"{where} has no '{missing[0] if missing else allowed[0]}'"
    if rule == "type":
        expected = [allowed] if isinstance(allowed, str) else list(allowed)
        return f"{where} is {_kind(error.instance)}, not {' or '.join(_TYPE_WORDS.get(t, t) for t in expected)}"
    if rule in ("enum", "const"):
        return f"{where} is not a value formcam writes there"
    if rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems"):
        return f"{where} is out of range ({rule} {allowed})"
    return f"{where} breaks the rule '{rule}'"


def schema_problem(instance, name: str) -> str | None:
    """The first way ``instance`` breaks schema ``name``, as a clause (``"metrics is a list, not an object"``).

    Returns
    -------
    str or None
        None when ``instance`` is valid.
    """
    from jsonschema.exceptions import best_match

    try:
        error = best_match(_validator(name).iter_errors(instance))
    except RecursionError:
        return "it is nested too deeply"
    return None if error is None else _words(error)
