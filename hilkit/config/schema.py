"""Schema validation of YAML documents, reported as one ``file:line: field: problem`` line.

The schemas live in ``hilkit/config/schemas/*.json`` so editors (yaml-language-server) can use them too.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import fastjsonschema

from hilkit.config.paths import user_cache
from hilkit.config.problems import Problems
from hilkit.config.yamlsource import Located, load_located
from hilkit.core.errors import SourceError

if TYPE_CHECKING:  # jsonschema is imported only to explain a file that failed: start-up stays short
    import jsonschema
    from jsonschema.exceptions import ValidationError


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("hilkit.config.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def _strict_integer(checker: Any, instance: Any) -> bool:
    """JSON Schema (draft 6 on) counts 1.0 as an integer; the code that uses ids, classes and
    endpoint addresses (``address & 0x70``, ``f"{cls:02x}"``) does not: an integer is written as one."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    strict = jsonschema.validators.extend(cls, type_checker=cls.TYPE_CHECKER.redefine("integer", _strict_integer))
    return strict(schema)


def _float_for_integer(schema: Any, value: Any) -> bool:
    """Whether ``value`` (valid for fastjsonschema) holds a float such as 1.0 where ``schema``
    wants an integer. Cheaper than running jsonschema on every file with ``delay: 0.0``; a schema
    keyword it does not follow counts as yes, so jsonschema decides."""
    if not isinstance(schema, dict) or any(k in schema for k in ("$ref", "oneOf", "allOf", "not", "if",
                                                                  "patternProperties", "prefixItems")):
        return True
    if isinstance(value, float):
        options = schema.get("anyOf", [schema])
        return value.is_integer() and not any(o.get("type") in ("number", None) for o in options)
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties", {})
        return any(_float_for_integer(properties.get(k, extra), v) for k, v in value.items())
    if isinstance(value, list):
        return any(_float_for_integer(schema.get("items", {}), v) for v in value)
    return False


@cache
def _fast(name: str) -> Callable[[Any], Any]:
    """fastjsonschema compiles the schema to Python: ~50x faster on valid files, which is nearly all
    of them (the 512-entry database loads in well under a second). jsonschema, slower but with
    complete error paths, runs only to explain a file that failed.

    The generated module is half a megabyte of Python, ~0.1 s to compile in every process that
    loads a profile: its code object is kept in the user's cache, keyed by the schema, the
    fastjsonschema version and the interpreter."""
    schema = load_schema(name)
    key = hashlib.sha256(json.dumps([schema, fastjsonschema.VERSION, sys.implementation.cache_tag],
                                    sort_keys=True).encode()).hexdigest()[:16]
    cached = user_cache() / f"schema-{name}-{key}.marshal"
    try:
        entry, code = marshal.loads(cached.read_bytes())  # noqa: S302 - our own cache file, keyed by its schema
    except (OSError, ValueError, EOFError, TypeError):
        from fastjsonschema.ref_resolver import RefResolver  # names the generated entry function

        entry = RefResolver.from_schema(schema, store={}).get_scope_name()
        code = compile(fastjsonschema.compile_to_code(schema), f"<fastjsonschema: {name}.schema.json>", "exec")
        _store(cached, marshal.dumps((entry, code)))
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - fastjsonschema's own output for our schema
    return namespace[entry]


def _store(path: Path, data: bytes) -> None:
    """Write the cache file whole (a concurrent reader sees the old file or the new one), or not
    at all: an unwritable cache only costs the compile next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
    except OSError:
        pass


_T = TypeVar("_T")


def load_checked(path: str | Path, schema_name: str, error: type[SourceError],
                 build: Callable[[Located, Problems], _T]) -> _T:
    """Read ``path``, check it against its schema, then ``build`` it, the build's own checks adding
    to the same problems: every mistake of the file is found in one pass, and the first (in line
    order) is raised, holding the others (:meth:`~hilkit.core.errors.SourceError.lines`)."""
    doc = load_located(path, error)
    problems = Problems(doc, error)
    validate(doc, schema_name, error, problems)
    built: _T | None = None
    with problems.shaped(()):
        built = build(doc, problems)
    problems.raise_any()
    assert built is not None  # no mistake was found, so the build ran to its end
    return built


def validate(doc: Located, schema_name: str, error: type[SourceError], problems: Problems | None = None) -> None:
    """Every problem the schema finds in ``doc``, one per place: added to ``problems``, or (without
    it) raised, the first in document order holding the others; return if there is none."""
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else f"a {_kind(doc.data)}"
        raise error(doc.path, doc.line_of(()), "", f"expected a mapping of keys at the top level, got {got}")
    try:
        _fast(schema_name)(doc.data)
        if not _float_for_integer(load_schema(schema_name), doc.data):
            return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = list(_validator(schema_name).iter_errors(doc.data))
    if not errors:
        return
    found = problems if problems is not None else Problems(doc, error)
    # An unknown key next to a "missing required key" is usually the same typo: name the typo.
    unknown_at = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    errors = [e for e in errors if not (e.validator == "required" and tuple(e.absolute_path) in unknown_at)]
    seen: set[tuple[Any, ...]] = set()
    for err in sorted(errors, key=lambda e: (doc.line_of(_where(e)) or 0, len(e.absolute_path))):
        for where, problem in _explained(_deepest(err)):
            if where not in seen:
                seen.add(where)
                found.add(where, problem, again=True)
    if problems is None:
        found.raise_any()


def _explained(err: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """(place, sentence) for one schema error: one per unknown key when a mapping has several."""
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(_schema(err).get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        if len(extra) > 1 and _schema(err).get("additionalProperties") is False:
            return [(tuple(err.absolute_path) + (key,), _unknown_key(key, allowed)) for key in extra]
    return [(_where(err), explain(err))]


def _deepest(err: ValidationError) -> ValidationError:
    """For anyOf/oneOf failures, use the most specific sub-error when there is one."""
    import jsonschema

    if err.context:
        best = jsonschema.exceptions.best_match(err.context)
        if best is not None and best.validator not in ("type", "pattern"):
            return best
    return err


def _schema(err: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema an error is about: a schema object on every error jsonschema yields for
    hilkit's schemas (they use no boolean subschemas; ``Unset`` is for errors built by hand)."""
    return cast(Mapping[str, Any], err.schema)


def _where(err: ValidationError) -> tuple[Any, ...]:
    where = tuple(err.absolute_path)
    if "propertyNames" in err.absolute_schema_path:
        return where + (err.instance,)  # the offending key itself
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        schema = _schema(err)
        allowed = set(schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        if extra and schema.get("additionalProperties") is False:
            return where + (extra[0],)
    return where


#: a YAML value's Python type -> how an error names it (bool before int: True is an int too)
_KINDS: tuple[tuple[type, str], ...] = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                                        (list, "list"), (dict, "mapping"))


def _kind(value: Any) -> str:
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return ""
    text = repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 9:
        text += f" (0x{value:x})"
    return text if len(text) <= 72 else text[:69] + "..."


def _got(value: Any) -> str:
    if value is None:
        return "got nothing (an empty value)"
    shown = _show(value)
    return f"got {_kind(value)} {shown}" if shown else f"got a {_kind(value)}"


def _expected_type(schema: Mapping[str, Any]) -> str:
    if "type" in schema:
        t = schema["type"]
        return " or ".join(t) if isinstance(t, list) else t
    if "anyOf" in schema:
        return " or ".join(_describe(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    return "a valid value"


def _describe(schema: Mapping[str, Any]) -> str:
    if schema.get("type") == "string" and "pattern" in schema:
        return "a hex string" if "0-9a-fA-F" in schema["pattern"] else "a string"
    return _expected_type(schema)


def _unknown_key(key: Any, allowed: list[str]) -> str:
    return f"unknown key {key!r} (expected one of: {', '.join(allowed)})"


def explain(err: ValidationError) -> str:
    """A short human sentence for one schema error, with what was expected."""
    v, schema = err.validator, _schema(err)
    # the instance and the keyword's value (jsonschema sets both on every error it yields)
    inst, expected = cast(Any, err.instance), cast(Any, err.validator_value)
    if v == "required":
        missing = [k for k in expected if not (isinstance(inst, dict) and k in inst)]
        return f"missing required key {missing[0]!r}" if missing else err.message
    if v == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        return _unknown_key(extra[0], allowed)
    if v == "type" and schema.get("type") == "object":
        return f"expected a mapping of keys, {_got(inst)}"
    if v == "type" and schema.get("type") == "array":
        return f"expected a list, {_got(inst)}"
    if v == "type":
        return f"expected {_expected_type(schema)}, {_got(inst)}"
    if v == "enum":
        return f"{_show(inst)} is not allowed (expected one of: {', '.join(map(str, expected))})"
    if v == "pattern" and "propertyNames" in err.absolute_schema_path:
        return f"bad name {inst!r} (expected lower-case letters, digits, '-' or '_')"
    if v == "pattern":
        return f"{_show(inst)} has the wrong form (expected to match {expected})"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"{_show(inst)} is out of range (expected {sign} {expected})"
    if v in ("minItems", "minProperties"):
        return f"must not be empty (expected at least {expected})"
    if v == "minLength":
        return "must not be empty"
    if v == "anyOf":
        return f"expected {_expected_type(schema)}, {_got(inst)}"
    if v == "propertyNames":
        return f"bad name {_show(inst)} (expected lower-case letters, digits, '-' or '_')"
    return err.message
