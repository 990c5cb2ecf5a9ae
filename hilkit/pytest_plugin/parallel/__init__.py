"""``--hilkit-parallel``: every slot of the rig at once, one forked runner per slot.

The session is collected once, in this process (the controller). At the run loop the controller
deals the tests out by slot and forks one runner per slot. A runner keeps only its slot in the
rig, so it opens only that slot's part of the lab (its relay, its dongle, its bus view), and runs
its tests through pytest's own ``pytest_runtest_protocol``: fixtures, allure-pytest,
pytest-timeout and output capture work as in a one-process run, and each runner writes its own
Allure results and measurements. It sends every test report back over a pipe; the controller
hands them to its reporting hooks (terminal, JUnit, the session's failure count), so the run has
one result set and one summary. Tests that are not per slot run in the controller after the
runners have ended, with the whole rig, as they would in a one-process run.

Why fork and not pytest-xdist: an xdist worker is a fresh interpreter that imports pytest and
every plugin and collects again, about 1 s of CPU each; eight of them on a 2-core Pi doubled the
wall time of a one-slot run (``bench/parallel_slots.py``). A fork of the collected session costs
milliseconds, and what is left per slot is the slot's own work.

Every exit path leaves the rig safe. A runner tears its fixtures down (relays at rest) after its
last test, when the controller asks it to stop (``-x``, ``--maxfail``, ``pytest.exit``, a stop in
another slot: it finishes the running test first), and on Ctrl-C. The controller never dies of a
signal while runners live: Ctrl-C or SIGTERM asks every runner to stop at once, a runner that has
not been interrupted itself within ``GRACE`` seconds gets SIGTERM (the plugin makes it Ctrl-C),
and the controller waits for all of them; the fourth Ctrl-C kills what is left. A runner sends
each message with the stop signals blocked, so no message is ever half-written, and it ignores
further signals while it tears down. A runner that dies without finishing fails the test it was
running, naming how it ended.

What differs from a one-process run: a plugin's per-report hooks run in the runner (which ran
the test) and again in the controller; ``record_testsuite_property`` written in a runner does not
reach the controller's JUnit file; ``--pdb``, ``--trace`` and ``--setup-show/-only/-plan`` are
refused (one terminal, many runners); tests not per slot run after the slots (so ``-x`` on one of
them comes after every slot has run); live logs (``log_cli``) of runners are not shown, each
test's captured log is in its report; ``--hilkit-fault`` counts and dice are per slot; code run
in the runners is not seen by coverage tools that collect at interpreter exit (runners end with
``os._exit``, as forked children must).

The modules: :mod:`~hilkit.pytest_plugin.parallel.controller` (this process's side),
:mod:`~hilkit.pytest_plugin.parallel.runner` (a forked child's), :mod:`~hilkit.pytest_plugin.parallel.wire`
(the JSON-lines messages between them), :mod:`~hilkit.pytest_plugin.parallel.replay` (the messages
into the controller's hooks), :mod:`~hilkit.pytest_plugin.parallel.spawn` (forking, signal
blocking) and :mod:`~hilkit.pytest_plugin.parallel.pytest_internals` (the only reaches into pytest's
internals, each checked on the oldest and newest pytest the project admits).
"""
from hilkit.pytest_plugin.parallel.controller import deal, run_here, run_parallel
from hilkit.pytest_plugin.parallel.spawn import check_parallel

__all__ = ["check_parallel", "deal", "run_here", "run_parallel"]
