"""The dial-up check: a slot whose data session is PPP (an AT dial-up, or a ModemManager bearer on a
tty) needs a tun interface for hilkit's PPP client, which runs where pppd's ``/dev/ppp`` does not.
A warning, not a failure: without it only those slots' data-path tests skip, saying why."""
from __future__ import annotations

import os

from hilkit.core.rig import Rig
from hilkit.doctor.findings import OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.programs import CAP_NET_ADMIN, cap_eff

TUN = "/dev/net/tun"


def check_dial_up(rig: Rig, host: Host) -> list[Finding]:
    check = "dial-up"
    # a ModemManager bearer is PPP where the modem has no network port
    dialling = [s.name for s in rig.slots if s.profile.attach is not None and (
        s.profile.data_method == "ppp"
        or (s.profile.data_method == "bearer" and not s.profile.final_mode.interfaces_with_role("net")))]
    if not dialling:
        return []
    who = ", ".join(dialling)
    if not host.exists(TUN):
        fix = f"pass it into the container (--device {TUN} --cap-add NET_ADMIN)" if host.container() \
            else "sudo modprobe tun"
        return [Finding(WARN, check, f"{TUN} missing: a PPP session on {who} cannot get its interface (those "
                                     "data-path tests skip)", fix)]
    if not host.access(host.path(TUN), os.R_OK | os.W_OK):
        return [Finding(WARN, check, f"{TUN} not readable and writable by this user: no PPP session on {who}",
                        "run the data-path tests as root")]
    caps = _effective_capabilities(host)
    if caps is not None and not caps >> CAP_NET_ADMIN & 1:
        return [Finding(WARN, check, f"this user lacks CAP_NET_ADMIN: a PPP session on {who} cannot make its tun "
                                     "interface (those data-path tests skip)",
                        "run the data-path tests as root, or --cap-add NET_ADMIN in a container")]
    return [Finding(OK, check, f"{TUN} usable: PPP sessions on {who} get a tun interface of hilkit's PPP client")]


def _effective_capabilities(host: Host) -> int | None:
    """CapEff of the process looking (/proc/self/status under the host's root); None when unknown."""
    try:
        return cap_eff(host.path("/proc/self/status").read_text())
    except OSError:
        return None
