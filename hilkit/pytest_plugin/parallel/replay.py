"""The controller's record of each runner, and the replay of what a runner reports into this
process's reporting hooks (terminal, JUnit, the session's failure count): one result set for the run."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import pytest

from hilkit.core.rig import Slot
from hilkit.pytest_plugin.parallel.wire import report_data, warning_message


@dataclass
class RunnerState:
    slot: Slot
    items: dict[str, pytest.Item]
    pid: int
    fd: int
    pending: list[bytes] = field(default_factory=list)   # the start of a line still being received
    unstarted: str | None = None   # logstart received, replayed next to the test's first outcome
    held: list[pytest.TestReport] = field(default_factory=list)   # its passed setup, until then
    running: str | None = None     # the nodeid between logstart and logfinish
    phases: dict[str, str] = field(default_factory=dict)   # the running test's reports: when -> outcome
    finished: set[str] = field(default_factory=set)
    done: int | None = None        # the status the runner said it ends with
    interrupted: bool = False      # it said it was interrupted (Ctrl-C reached it)
    closed: bool = False           # its pipe is closed
    ended: bool = False            # and it has been reaped
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"slot {self.slot.name} (port {self.slot.port}, runner PID {self.pid})"

    def in_test_body(self) -> bool:
        """Running a test's setup or call (not its teardown, not between tests)."""
        return self.running is not None and "call" not in self.phases and self.phases.get("setup") in (None, "passed")


class Replay:
    """Each runner's messages, handed to the controller's hooks as if its tests had run here."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reporter = config.pluginmanager.get_plugin("terminalreporter")
        self.exit: tuple[str, int | None] | None = None   # a runner's pytest.exit()

    def message(self, runner: RunnerState, message: dict) -> None:
        if "report" in message:
            data = report_data(message["report"])
            report = self.config.hook.pytest_report_from_serializable(config=self.config, data=data)
            if report.nodeid == runner.running:
                runner.phases[report.when] = report.outcome
            if runner.unstarted == report.nodeid and report.when == "setup" and report.passed:
                runner.held.append(report)  # nothing to show yet: another slot's outcome may come first
                return
            self._start(runner, report.nodeid)
            self._log(runner, report)
        elif "logstart" in message:
            runner.unstarted = runner.running = message["logstart"]
            runner.phases = {}
        elif "logfinish" in message:
            nodeid = message["logfinish"]
            self._start(runner, nodeid)
            if nodeid == runner.running:
                runner.running = None
            runner.finished.add(nodeid)
            item = runner.items.get(nodeid)
            (item.ihook if item is not None else self.config.hook).pytest_runtest_logfinish(
                nodeid=nodeid, location=item.location if item is not None else (nodeid, None, nodeid))
        elif "progress" in message:
            if self.reporter is not None:
                self.reporter.write_line(message["progress"])
        elif "warning" in message:
            self._warn(message["warning"])
        elif "interrupted" in message:
            runner.interrupted = True
        elif "exit" in message:
            self.exit = (message["exit"], message["returncode"])
        elif "error" in message:
            runner.errors.append(message["error"])
        elif "done" in message:
            runner.done = message["done"]

    def _start(self, runner: RunnerState, nodeid: str) -> None:
        """Replay a test's logstart (and its passed setup) next to its first outcome: with 8 slots
        running tests at once, a verbose terminal would otherwise print each test's line twice,
        once bare when it starts and again with its outcome."""
        if runner.unstarted == nodeid:
            runner.unstarted = None
            item = runner.items.get(nodeid)
            if item is not None:
                item.ihook.pytest_runtest_logstart(nodeid=nodeid, location=item.location)
            held, runner.held = runner.held, []
            for report in held:
                self._log(runner, report)

    def _log(self, runner: RunnerState, report: pytest.TestReport) -> None:
        item = runner.items.get(report.nodeid)  # a plugin may report on a node of its own
        (item.ihook if item is not None else self.config.hook).pytest_runtest_logreport(report=report)

    def _warn(self, data: dict) -> None:
        self.config.hook.pytest_warning_recorded.call_historic(
            kwargs={"warning_message": warning_message(data), "when": "runtest", "nodeid": data["nodeid"],
                    "location": None})

    def ended(self, runner: RunnerState, status: int) -> None:
        """The runner has exited. One that did not say it was done fails the test it was running,
        in the phase it died in: setup and teardown as errors, the call as a failure."""
        if runner.done is not None:
            return
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.waitstatus_to_exitcode(status)}")
        runner.errors.append(f"{runner.describe()} {how} before it finished")
        nodeid = runner.running
        if nodeid is None:
            return
        item = runner.items.get(nodeid)
        if item is None:
            return
        self._start(runner, nodeid)
        when: Literal["setup", "call", "teardown"] = (
            "setup" if "setup" not in runner.phases else
            "call" if "call" not in runner.phases and runner.phases["setup"] == "passed" else "teardown")
        report = pytest.TestReport(nodeid, item.location, {}, "failed",
                                   f"{runner.describe()} ended during this test's {when} ({how})", when)
        item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=nodeid, location=item.location)
        runner.finished.add(nodeid)
        runner.running = None
        runner.errors.pop()  # said in the test's own report

    def finish(self, runners: list[RunnerState], told_to_stop: bool) -> None:
        """What went wrong in a runner outside its tests (and tests that never ran for it) is an
        error of the run: one error report per slot, in the summary and in JUnit."""
        for runner in runners:
            unrun = [nodeid for nodeid in runner.items if nodeid not in runner.finished]
            problems = list(runner.errors)
            if unrun and not (told_to_stop or runner.interrupted):
                problems.append(f"{len(unrun)} of its tests did not run: {', '.join(unrun[:3])}"
                                + (" ..." if len(unrun) > 3 else ""))
            if not problems:
                continue
            nodeid = f"hilkit-slot-runner[{runner.slot.name}]"
            report = pytest.TestReport(nodeid, (nodeid, None, f"slot runner {runner.slot.name}"), {}, "failed",
                                       "\n".join([runner.describe() + ":", *(p.rstrip() for p in problems)]),
                                       "teardown")
            self.config.hook.pytest_runtest_logreport(report=report)
