"""Online, not just attached: the data session comes up the profile's way (ModemManager bearer,
HiLink dial, NDIS or PPP dial-up), the dongle's interface gets an address, and DNS, HTTP, the round
trip and a download go through that interface only, within the profile's limits."""
from __future__ import annotations

import pytest

from hilkit.modem.connectors import DataPathUnavailable

pytestmark = pytest.mark.hilkit_phase("data", severity="critical")


@pytest.mark.hilkit_requires("attach")
def test_online(dongle, slot):
    """Address, DNS answer, HTTP status, round trip and throughput are steps of the report, each
    measured against the profile's ``data`` limits."""
    try:
        result = dongle.go_online()
    except DataPathUnavailable as exc:   # this host cannot carry the session: said, never passed
        pytest.skip(f"{slot.name}: {exc}")
    assert result.address and result.http_status == slot.profile.data.check_status
