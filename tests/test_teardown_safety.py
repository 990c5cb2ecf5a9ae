"""Whatever happens in a test (failure, error, Ctrl-C, SIGTERM) the rig ends with every relay at rest."""
from __future__ import annotations

import json

import pytest

# A test project's conftest: every lab a test's dongle used, kept for pytest_unconfigure to record.
GRAB_LABS = '''
import json, os, pytest
LABS = []

@pytest.fixture(autouse=True)
def _grab_lab(request):
    if "dongle" in request.fixturenames:
        lab = request.getfixturevalue("lab")
        lab = getattr(lab, "local", lab)   # a labgrid rig's lab wraps the virtual lab that plays its places
        if lab not in LABS:
            LABS.append(lab)
    yield
'''

CONFTEST = GRAB_LABS + '''
def pytest_unconfigure(config):
    out = [{"at_close": lab.state_at_close,
            "ever_powered": {n: any(on for _, on in d.power_log) for n, d in lab.dongles.items()},
            "powered_now": {n: d.powered for n, d in lab.dongles.items()}} for lab in LABS]
    with open("relay-states.json", "w") as fh:
        json.dump(out, fh)
'''


def _states(pytester: pytest.Pytester) -> list[dict]:
    return json.loads((pytester.path / "relay-states.json").read_text())


@pytest.mark.parametrize("body, outcome", [
    ("raise RuntimeError('boom in the middle of a test')", "failed"),
    ("assert False, 'a failed assertion'", "failed"),
    ("raise KeyboardInterrupt", "interrupted"),
], ids=["exception", "assertion", "keyboard-interrupt"])
def test_relays_at_rest_after_a_fault_mid_test(pytester: pytest.Pytester, body: str, outcome: str) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_fault=f'''
import pytest

@pytest.mark.profile("huawei/e3131")
def test_fault(dongle):
    assert dongle.power.state is True
    assert dongle.mode() is not None
    {body}
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    if outcome == "interrupted":
        assert result.ret == pytest.ExitCode.INTERRUPTED
        result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    else:
        result.assert_outcomes(failed=1)
    (lab,) = _states(pytester)
    assert lab["ever_powered"]["e3131"] is True, "the test never powered the dongle"
    assert lab["at_close"] == {"e3131": False, "e3372": False, "e3531": False, "e3372s": False}
    assert not any(lab["powered_now"].values())


def test_relays_at_rest_when_setup_fails(pytester: pytest.Pytester) -> None:
    """A switch that fails inside the fixture (mode marker) still powers the slot off."""
    pytester.makeconftest(CONFTEST + '''
from hilkit.core.errors import SwitchFailed
from hilkit.switch.native import NativeSwitchEngine as SwitchEngine

def _fail(self, port, *args, **kwargs):
    raise SwitchFailed(f"injected: no re-enumeration on {port}")

SwitchEngine.switch = _fail
''')
    pytester.makepyfile(test_setup='''
import pytest

@pytest.mark.profile("huawei/e3131")
@pytest.mark.mode("modem")
def test_never_runs(dongle):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*slot e3131 (port 1-1.2, *): SwitchFailed: injected: no re-enumeration on 1-1.2"])
    (lab,) = _states(pytester)
    assert lab["ever_powered"]["e3131"] is True
    assert lab["at_close"]["e3131"] is False


def test_unknown_mode_marker_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mode='''
import pytest

@pytest.mark.profile("huawei/e3131")
@pytest.mark.mode("no-such-mode")
def test_x(dongle):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.mode('no-such-mode'): huawei/e3131 has no such mode "
                                 "(expected one of: storage, modem)"])
