"""The dongle gets on the network: SIM ready, registered home or roaming, packet attached, signal
above the profile's floor, all within the attach budget, whichever way the profile attaches."""
from __future__ import annotations

import pytest

from hilkit import measure
from hilkit.core.errors import Category
from hilkit.modem.attach import require_attached

pytestmark = pytest.mark.hilkit_phase("attach", severity="critical")


@pytest.mark.hilkit_requires("attach")
def test_network_attach(dongle, slot):
    """Over the profile's attach method: AT commands, ModemManager or the HiLink web API."""
    spec = slot.profile.attach
    result = require_attached(spec, dongle.attach())
    measure("signal", result.signal_dbm, "dBm", low=spec.min_signal_dbm, category=Category.WEAK_SIGNAL)
    measure("time to attach", result.time_to_attach, "s", high=slot.profile.budgets.attach)


@pytest.mark.hilkit_requires("attach:at")
def test_wvdial_init_strings_accepted(modem, slot):
    """The init strings the forum's wvdial config sends (Init2/Init3/Init4) all answer OK."""
    apn = slot.profile.attach.apn or "internet"
    for command in ("ATZ", "ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0", f'AT+CGDCONT=1,"IP","{apn}"'):
        assert modem.command(command).ok
    assert f'"{apn}"' in (modem.command("AT+CGDCONT?").value("+CGDCONT:") or "")
