"""YAML loading that remembers where every value came from.

Profiles and rig files are written by hand; when one is wrong the user must be told the file, the
line and the field, in one line. ``yaml.safe_load`` forgets lines, so this module composes the node
tree with PyYAML's safe loader and builds plain dicts/lists while recording, for every path
(``("modes", "storage", "interfaces", 0, "class")``), the line it starts on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hilkit.core.errors import SourceError

PathKey = tuple[Any, ...]

# libyaml's parser when PyYAML has it (5-10x faster over the whole profile database); same nodes, same marks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
#: values (after aliases are expanded) one document may hold; a profile has a few hundred
MAX_VALUES = 100_000


@dataclass
class Located:
    """A loaded document plus the line of every path in it."""

    path: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, where: PathKey) -> int | None:
        """Line of ``where``, or of its nearest ancestor that has one."""
        where = tuple(where)
        while True:
            if where in self.lines:
                return self.lines[where]
            if not where:
                return None
            where = where[:-1]


def dotted(where: PathKey) -> str:
    """``("modes", "storage", "interfaces", 0, "class")`` -> ``modes.storage.interfaces[0].class``."""
    out = ""
    for part in where:
        if isinstance(part, int) or (isinstance(part, str) and not part.isprintable()):
            out += f"[{part!r}]" if isinstance(part, str) else f"[{part}]"  # a key "a\nb" stays on one line
        else:
            out += f".{part}" if out else str(part)
    return out


def load_located(path: str | Path, error: type[SourceError] = SourceError) -> Located:
    """Read and parse ``path``; any failure is raised as ``error`` with file:line."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(path, None, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(path, None, "", f"cannot read: {exc}") from None
    return parse_located(text, path, error)


def parse_located(text: str, path: str, error: type[SourceError] = SourceError) -> Located:
    try:
        return _parse(_Loader, text, path, error)
    except yaml.MarkedYAMLError as first:
        reported = first
        if _Loader is not yaml.SafeLoader:
            # libyaml's messages are terser ("cannot start any token" without the character):
            # parse again with PyYAML's own parser, which says what it found, for the one-line error.
            try:
                _parse(yaml.SafeLoader, text, path, error)
            except yaml.MarkedYAMLError as better:
                reported = better
            except RecursionError:
                pass  # nested deeper than PyYAML's recursive parser goes: libyaml's message stands
        raise error(path, *_syntax(reported)) from None
    except yaml.reader.ReaderError as exc:
        # a character YAML does not allow (NUL, most control characters): say which, and where
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise error(path, line, "", f"YAML error: unacceptable character #x{character:04x} ({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise error(path, None, "", f"YAML error: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise error(path, None, "", "nested too deeply, or an alias (*name) used inside its own anchor "
                    "(&name)") from None


def _parse(loader_class: type, text: str, path: str, error: type[SourceError]) -> Located:
    loader = loader_class(text)
    located = Located(path, None)
    try:
        node = loader.get_single_node()
        if node is not None:
            located.data = _build(loader, node, (), located.lines, path, error)
    finally:
        loader.dispose()
    return located


def _syntax(exc: yaml.MarkedYAMLError) -> tuple[int | None, str, str]:
    """(line, field, problem) for a syntax error. An unclosed bracket or quote is only noticed
    lines later; PyYAML's context mark says where the construct began, which is what to fix."""
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    mark, context = exc.problem_mark, exc.context_mark
    construct = exc.context or ""
    if "simple key" in construct and context is not None:
        # `model E3131` on a line of its own: PyYAML notices the missing ':' only on the next line
        return context.line + 1, "", f"YAML syntax error: {problem} on this line (expected 'key: value')"
    opened = "flow" in construct or "scalar" in construct
    if opened and context is not None and (mark is None or context.line < mark.line):
        found = f" (noticed at line {mark.line + 1}: {problem})" if mark is not None else ""
        return context.line + 1, "", f"YAML syntax error: {construct.strip()} not closed{found}"
    return (mark.line + 1 if mark else None), "", f"YAML syntax error: {problem}"


def _build(loader: yaml.SafeLoader, node: yaml.Node, where: PathKey, lines: dict[PathKey, int],
           path: str, error: type[SourceError]) -> Any:
    lines.setdefault(where, node.start_mark.line + 1)
    if len(lines) > MAX_VALUES:
        # every alias is copied where it is used: a few nested ones can expand to billions of values
        raise error(path, node.start_mark.line + 1, dotted(where),
                    f"more than {MAX_VALUES} values once aliases (*name) are expanded")
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else _construct(loader, key_node, where, path, error)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise error(path, key_node.start_mark.line + 1, dotted(where) or "(top)",
                            f"a key must be a plain value, not {type(key).__name__}")
            if key in out:
                raise error(path, key_node.start_mark.line + 1, dotted(where + (key,)),
                            "duplicate key (each key may appear once)")
            lines[where + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, where + (key,), lines, path, error)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[where + (index,)] = item.start_mark.line + 1
            items.append(_build(loader, item, where + (index,), lines, path, error))
        return items
    if node.tag == _STR:
        return node.value  # most scalars: skip the constructor's dispatch (a third of the load time)
    return _construct(loader, node, where, path, error)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, where: PathKey, path: str,
               error: type[SourceError]) -> Any:
    """PyYAML's safe constructor for one node. Some values it resolves but cannot build (a date
    2001-13-45, ``!!int abc``, an integer of more than 4300 digits) raise plain Python errors, and
    a hex integer that long builds but cannot be printed."""
    try:
        value = loader.construct_object(node, deep=True)
        if isinstance(value, int):
            str(value)  # 0x followed by 4000 digits reads, but Python refuses to print it (in any message)
        return value
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        shown = node.value if isinstance(node.value, str) else ""
        shown = repr(shown) if len(shown) <= 40 else repr(shown[:37]) + "..."
        problem = f"cannot read {shown} as {node.tag.rsplit(':', 1)[-1]}"
        if isinstance(exc, ValueError) and "digits" in str(exc):
            problem = f"{shown} has too many digits (Python reads at most 4300)"
        raise error(path, node.start_mark.line + 1, dotted(where), problem) from None
