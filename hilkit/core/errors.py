"""The exceptions hilkit raises, each one printable as one line a lab engineer can act on, and the
failure categories the report sorts them into.

A failure's category is data: an attribute of the exception (the class's, or one the raiser
names), never read back from its wording. The message shows it first (``wrong id: ...``), the
report's ``categories.json`` is generated from :class:`Category` (see
:mod:`hilkit.report.results_files`), and a soak counts failures by :func:`category_of`.
"""
from __future__ import annotations

from enum import Enum


class Category(Enum):
    """The report's failure categories, in the order Allure tries them."""

    INFRASTRUCTURE = "infrastructure (slot health)"   # the slot's relay or port, not the dongle
    RIG_ERROR = "rig error"
    POWER_FAULT = "power fault"
    TEST_TIMEOUT = "test timeout"            # pytest-timeout's; hilkit raises none of these
    ENUMERATION_TIMEOUT = "enumeration timeout"
    TRANSFER_ERROR = "transfer error"
    NO_REENUMERATION = "no re-enumeration"
    REENUMERATION_LOOP = "re-enumeration loop"
    WRONG_ID = "wrong id"
    WRONG_INTERFACE_CLASS = "wrong interface class"
    SWITCH_REFUSED = "switch refused"
    PORT_VANISHED = "port vanished"
    AT_TIMEOUT = "AT timeout"
    SIM_ERROR = "SIM error"
    NOT_REGISTERED = "not registered"
    WEAK_SIGNAL = "weak signal"
    NO_DATA_SESSION = "no data session"      # attached, but the bearer / dial / NDIS call did not come up
    NO_ADDRESS = "no address (DHCP)"
    DNS_FAILURE = "DNS failure"
    CAPTIVE_PORTAL = "captive portal"
    LINK_DROPPED = "link dropped"
    SLOW_DATA = "throughput below the floor"
    OUT_OF_LIMITS = "out of limits"          # a measurement outside its limits (other than signal)

    def __str__(self) -> str:
        return self.value


class HilkitError(Exception):
    """Base of every error hilkit raises on purpose (never a bug).

    ``category`` is the class's unless the raiser names one (``category=``). When the message
    shows it (``shows_category``), it comes first: ``no re-enumeration: HuaweiNewMode switch ...``.
    """

    category: Category | None = None
    shows_category = True

    def __init__(self, message: str = "", *, category: Category | None = None) -> None:
        if category is not None:
            self.category = category
        self.text = message
        shown = self.category.value if self.category is not None and self.shows_category else ""
        super().__init__(f"{shown}: {message}" if shown and message else message or shown)


def named_by_type() -> dict[Category, list[str]]:
    """Categories whose errors keep a one-line ``file:line: ...`` form instead of showing the
    category first: the exception's type (which Allure prints) names the category."""
    found: dict[Category, list[str]] = {}
    todo = list(HilkitError.__subclasses__())
    while todo:
        cls = todo.pop(0)
        todo.extend(cls.__subclasses__())
        if not cls.shows_category and cls.category is not None:
            found.setdefault(cls.category, []).append(cls.__name__)
    return found


def category_of(exc: BaseException) -> Category | None:
    """The failure category ``exc`` carries (None: not one of hilkit's classified failures)."""
    category = getattr(exc, "category", None)
    return category if isinstance(category, Category) else None


class SourceError(HilkitError):
    """Bad input found in a file: prints as ``path:line: field: what is wrong``."""

    category = Category.RIG_ERROR
    shows_category = False   # the one-line file:line form is the message; the type names the category

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        #: the file's other mistakes, found in the same pass (see :mod:`hilkit.config.problems`)
        self.also: list[SourceError] = []
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.problem}" if self.field else f"{where}: {self.problem}"

    def lines(self) -> list[str]:
        """This mistake and every other one found with it, one line each, in the file's line order."""
        return [self.one_line(), *(other.one_line() for other in self.also)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class ProfileError(SourceError):
    """A device profile that cannot be used."""


class RigError(SourceError):
    """A rig file that cannot be used."""


class WaitTimeout(HilkitError):
    """A bounded wait ran out: the message says what was expected and what was seen."""

    def __init__(self, expected: str, seen: str, timeout: float, *, category: Category | None = None) -> None:
        self.expected = expected
        self.seen = seen
        self.timeout = timeout
        super().__init__(f"timed out after {timeout:.1f} s waiting for {expected}; seen: {seen}", category=category)


class SettledWrong(WaitTimeout):
    """A wait ended before its budget: the device came back and settled (no USB event for the
    settle window) in a state that is not the one expected."""

    def __init__(self, expected: str, seen: str, after: float, how: str, *,
                 category: Category | None = None) -> None:
        self.after = after
        self.how = how  # why it counts as settled: "no USB event for 1.5 s"
        HilkitError.__init__(self, f"settled after {after:.1f} s ({how}) on {seen}; expected {expected}",
                             category=category)
        self.expected, self.seen, self.timeout = expected, seen, after


class ReenumerationLoop(HilkitError):
    """The device left its port (or its mode) within the stability window after it had arrived."""

    category = Category.REENUMERATION_LOOP


class SlotUnhealthy(HilkitError):
    """The slot's health check failed: its relay, hub port or cabling, not the dongle under test."""

    category = Category.INFRASTRUCTURE


class ModeMismatch(HilkitError):
    """The device on a port is not in the mode its profile says."""

    def __init__(self, mode: str, problems: list[str]) -> None:
        self.mode = mode
        self.problems = problems
        super().__init__(f"not in mode {mode!r}: " + "; ".join(problems))


class SwitchRefused(HilkitError):
    """The switch engine refused to send a message that cannot work (nothing was sent)."""

    category = Category.SWITCH_REFUSED
    shows_category = False   # ``profile.yaml:7: can't use storage command ...``: the type says it

    def __init__(self, problem: str, hint: str = "", where: str = "") -> None:
        self.problem = problem
        self.hint = hint
        self.where = where
        text = f"{where}: {problem}" if where else problem
        super().__init__(f"{text} (hint: {hint})" if hint else text)


class SwitchFailed(HilkitError):
    """The message was sent but the device did not come back in the target mode.

    ``result`` holds what was sent (a :class:`~hilkit.switch.result.SwitchResult`) and ``seen``
    the device found on the port at the deadline, for the report.
    """

    def __init__(self, message: str, result: object = None, seen: object = None, *,
                 category: Category | None = None) -> None:
        super().__init__(message, category=category)
        self.result = result
        self.seen = seen


class PowerError(HilkitError):
    """A power switch did not do what it was told (or could not be driven)."""

    category = Category.POWER_FAULT


class ModemError(HilkitError):
    """An AT command failed or the modem's answer could not be understood."""
