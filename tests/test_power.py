"""Power drivers under the one contract: gpiozero relays (mock pin factory) and uhubctl ports."""
from __future__ import annotations

import stat

import pytest
from gpiozero.pins.mock import MockFactory

from hilkit.core.errors import PowerError
from hilkit.power import GpioRelay, UhubctlPort, parse_port_status


@pytest.mark.parametrize("active_high, on_level", [(True, True), (False, False)])
def test_gpio_relay_levels_and_rest_state(active_high, on_level):
    factory = MockFactory()
    relay = GpioRelay(17, active_high=active_high, pin_factory=factory)
    pin = factory.pin(17)
    assert relay.state is False and pin.state == (not on_level)   # created at rest
    relay.on()
    assert relay.state is True and pin.state == on_level
    relay.close()
    assert relay.closed and relay.state is None
    factory.close()


def test_gpio_relay_that_does_not_follow_is_a_power_error():
    factory = MockFactory()
    relay = GpioRelay(5, pin_factory=factory)
    relay._read = lambda: False  # a stuck relay: reads back off whatever it is told
    with pytest.raises(PowerError, match="told to switch on, but it reads back off"):
        relay.on()
    relay.close()
    factory.close()


def test_closing_interrupts_a_power_cycle():
    import threading

    factory = MockFactory()
    relay = GpioRelay(6, pin_factory=factory)
    errors = []
    worker = threading.Thread(target=lambda: _catch(errors, lambda: relay.cycle(off_time=30)))
    worker.start()
    relay.close()
    worker.join(timeout=5)
    assert not worker.is_alive(), "close() must cut a 30 s off-hold short"
    assert errors and "closed during a power cycle" in str(errors[0])
    factory.close()


def _catch(errors, fn):
    try:
        fn()
    except PowerError as exc:
        errors.append(exc)


UHUBCTL_OUT = """Current status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]
  Port 3: 0503 power highspeed enable connect [12d1:14fe HUAWEI HUAWEI Mobile]
Sent power off request
New status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]
  Port 3: 0000 off
"""


def test_parse_uhubctl_uses_the_last_status_of_the_port():
    assert parse_port_status(UHUBCTL_OUT, 3) is False
    assert parse_port_status(UHUBCTL_OUT.split("Sent")[0], 3) is True
    assert parse_port_status(UHUBCTL_OUT, 2) is None


@pytest.fixture
def fake_uhubctl(tmp_path):
    """A stand-in uhubctl that keeps its port state in a file and prints uhubctl's format."""
    state = tmp_path / "state"
    state.write_text("off")
    script = tmp_path / "uhubctl"
    script.write_text(f"""#!/bin/sh
action=""
while [ $# -gt 0 ]; do case "$1" in -a) action="$2"; shift;; esac; shift; done
[ -n "$action" ] && echo "$action" > {state}
echo "Current status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]"
if [ "$(cat {state})" = on ]; then echo "  Port 3: 0503 power highspeed enable connect"; else echo "  Port 3: 0000 off"; fi
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, state


def test_uhubctl_port_switches_and_reads_back(fake_uhubctl):
    script, state = fake_uhubctl
    port = UhubctlPort("1-1", 3, command=str(script))
    port.on()
    assert state.read_text().strip() == "on" and port.state is True
    port.close()
    assert state.read_text().strip() == "off"


def test_uhubctl_missing_binary_is_one_clear_error():
    port = UhubctlPort("1-1", 3, command="/nonexistent/uhubctl")
    with pytest.raises(PowerError, match="not found \\(install the uhubctl package\\)"):
        port.on()


def test_uhubctl_in_sbin_is_found_off_an_ordinary_users_path(fake_uhubctl, monkeypatch):
    """Debian installs uhubctl in /usr/sbin, which an ordinary user's PATH leaves out."""
    import hilkit.programs

    script, state = fake_uhubctl
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin:/bin")
    monkeypatch.setattr(hilkit.programs, "SBIN_DIRS", (str(script.parent),))
    port = UhubctlPort("1-1", 3)
    assert port.command == str(script)
    port.on()
    assert state.read_text().strip() == "on"
    port.close()
    monkeypatch.setattr(hilkit.programs, "SBIN_DIRS", ())
    assert UhubctlPort("1-1", 3).command == "uhubctl"  # not found: said when it is first run
