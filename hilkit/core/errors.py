"""The exceptions hilkit raises, each one printable as one line a lab engineer can act on."""
from __future__ import annotations


class HilkitError(Exception):
    """Base of every error hilkit raises on purpose (never a bug)."""


class SourceError(HilkitError):
    """Bad input found in a file: prints as ``path:line: field: what is wrong``."""

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.problem}" if self.field else f"{where}: {self.problem}"


class ProfileError(SourceError):
    """A device profile that cannot be used."""


class RigError(SourceError):
    """A rig file that cannot be used."""


class WaitTimeout(HilkitError):
    """A bounded wait ran out: the message says what was expected and what was seen."""

    def __init__(self, expected: str, seen: str, timeout: float) -> None:
        self.expected = expected
        self.seen = seen
        self.timeout = timeout
        super().__init__(f"timed out after {timeout:.1f} s waiting for {expected}; seen: {seen}")


class ModeMismatch(HilkitError):
    """The device on a port is not in the mode its profile says."""

    def __init__(self, mode: str, problems: list[str]) -> None:
        self.mode = mode
        self.problems = problems
        super().__init__(f"not in mode {mode!r}: " + "; ".join(problems))


class SwitchRefused(HilkitError):
    """The switch engine refused to send a message that cannot work (nothing was sent)."""

    def __init__(self, problem: str, hint: str = "", where: str = "") -> None:
        self.problem = problem
        self.hint = hint
        self.where = where
        text = f"{where}: {problem}" if where else problem
        super().__init__(f"{text} (hint: {hint})" if hint else text)


class SwitchFailed(HilkitError):
    """The message was sent but the device did not come back in the target mode.

    ``result`` holds what was sent (a :class:`~hilkit.switch.engine.SwitchResult`) and ``seen``
    the device found on the port at the deadline, for the report.
    """

    def __init__(self, message: str, result: object = None, seen: object = None) -> None:
        super().__init__(message)
        self.result = result
        self.seen = seen


class PowerError(HilkitError):
    """A power switch did not do what it was told (or could not be driven)."""


class ModemError(HilkitError):
    """An AT command failed or the modem's answer could not be understood."""
