"""Every mistake in a file, found in one pass.

A contributor whose new profile has six mistakes should see six lines, not fix and rerun six
times. The checks of a file add what they find to :class:`Problems` and go on; the first mistake
(in line order) is raised at the end, carrying the others in ``also``
(:meth:`~hilkit.core.errors.SourceError.lines` prints them all).

Checks that need a part of the file to have the shape the schema asks for run inside
:meth:`Problems.shaped`: where the schema already reported that part, a check that trips over it
stays quiet instead of crashing or repeating the schema's complaint.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hilkit.config.yamlsource import Located, PathKey, dotted
from hilkit.core.errors import SourceError


class Problems:
    def __init__(self, doc: Located, error: type[SourceError]) -> None:
        self.doc = doc
        self.error = error
        self._found: list[tuple[PathKey, SourceError]] = []

    def add(self, where: PathKey, problem: str, again: bool = False) -> None:
        """A mistake at ``where``; dropped when one was already found there (or in a part holding
        it, or inside it) unless ``again``: one complaint per place, not a check repeating another."""
        if not again and self.about(where):
            return
        field = dotted(where) or ("(top)" if not where else "")
        self._found.append((tuple(where), self.error(self.doc.path, self.doc.line_of(where), field, problem)))

    def add_error(self, where: PathKey, error: SourceError) -> None:
        """A mistake found by another check (a profile a rig names, the schema)."""
        self._found.append((tuple(where), error))
        for other in error.also:
            self._found.append((tuple(where), other))

    def about(self, where: PathKey, inside: bool = True) -> bool:
        """Whether a mistake was already found at ``where``, in a part holding it, or (``inside``)
        in a part of it."""
        where = tuple(where)
        return any(where[:len(found)] == found or (inside and found[:len(where)] == where) for found in self.paths())

    def paths(self) -> list[PathKey]:
        """Where the mistakes found so far are."""
        return [found for found, _ in self._found]

    @contextmanager
    def shaped(self, where: PathKey) -> Iterator[None]:
        """Run a check of the part at ``where``; if that part's shape was already reported (so the
        check met a missing key or a value of the wrong type), drop what the check tripped on."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            if not self.about(where):
                raise

    def raise_any(self) -> None:
        """Raise the first mistake in line order, holding the others; return when there is none."""
        if not self._found:
            return
        here = self.doc.path
        ordered = sorted((error for _, error in self._found),
                         key=lambda e: (e.path != here, e.path, e.line or 0))
        unique: list[SourceError] = []
        for error in ordered:
            if all(error.one_line() != kept.one_line() for kept in unique):
                unique.append(error)
        first = unique[0]
        first.also = unique[1:]
        raise first
