"""What ``hilkit doctor`` reports: a :class:`Finding` per line (OK, WARN or FAIL), and the summary count.

A finding prints as ONE line: status, the check, what was found and, when something is wrong, the fix.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str    # OK, WARN or FAIL
    check: str     # short name of the check
    message: str   # what was found (one line)
    fix: str = ""  # what to do about it (one line), empty when nothing needs doing

    def line(self) -> str:
        text = f"{self.status:<4} {self.check:<15} {self.message}"
        return f"{text} -> fix: {self.fix}" if self.fix else text

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def summary(findings: list[Finding]) -> str:
    """``2 FAIL, 1 WARN, 5 OK``: how many findings of each status."""
    counts = {status: sum(f.status == status for f in findings) for status in (FAIL, WARN, OK)}
    return ", ".join(f"{n} {status}" for status, n in counts.items())
