"""Line numbers for the traceback of an interrupt, so pytest can print it and exit as interrupted.

A signal handler raises between two bytecodes of whatever the main thread runs. On CPython 3.11+
that can be an instruction with no line of its own (the clean-up code of a ``with`` block, for one),
and the traceback entry then says ``tb_lineno is None``. pytest's report of the interrupt subtracts
1 from it, fails with ``TypeError``, and the run ends with exit code 1 instead of 2 (interrupted):
seen in CI on a SIGTERM that landed in ``threading.Condition.wait``. Before pytest formats the
interrupt, each such entry is replaced by one carrying the line of the nearest instruction before it.
"""
from __future__ import annotations

import types

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Before the terminal reporter formats the interrupt (it registers after this plugin, so it
    would run first without ``tryfirst``)."""
    seen: set[int] = set()
    exc: BaseException | None = excinfo.value
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__traceback__ is not None:
            exc.__traceback__ = mend_line_numbers(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__
    if excinfo.tb is not None:
        mend_line_numbers(excinfo.tb)


def mend_line_numbers(tb: types.TracebackType) -> types.TracebackType:
    """``tb`` with every entry whose line is unknown replaced; the chain is relinked in place
    (``tb_next`` is writable), and the head is returned, new if the head itself was replaced."""
    head = _mended(tb)
    entry = head
    while entry.tb_next is not None:
        entry.tb_next = _mended(entry.tb_next)
        entry = entry.tb_next
    return head


def _mended(tb: types.TracebackType) -> types.TracebackType:
    if tb.tb_lineno is not None:
        return tb
    return types.TracebackType(tb.tb_next, tb.tb_frame, tb.tb_lasti, line_before(tb.tb_frame.f_code, tb.tb_lasti))


def line_before(code: types.CodeType, offset: int) -> int:
    """The source line of the last instruction at or before ``offset`` that has one; the function's
    first line if none has."""
    line = code.co_firstlineno
    for start, _end, number in code.co_lines():
        if start > offset:
            break
        if number is not None:
            line = number
    return line
