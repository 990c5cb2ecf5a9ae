"""The network's side of a virtual dongle's dial-up call: PPP on the data port after ``CONNECT``, and
the IPv4 packets of the call in and out of the carrier network's tun far end.

As a modem's firmware does, it asks for CHAP (Huawei's say ``<auth chap MD5>`` in pppd's log) and
takes any name and secret (the network, not the stick, would check them), gives the client the
carrier's second address and its DNS server by IPCP, answers LCP echoes, and says ``NO CARRIER``
when the call ends (the host's LCP Terminate-Request). The ``no_dhcp`` fault is its IPCP giving no
address: the dial-up counterpart of a silent DHCP server.
"""
from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

from hilkit.net.ppp.endpoint import PppConfig, PppEndpoint
from hilkit.sim.carrier.carrier_network import CarrierNetwork

FLAG = 0x7E
NO_CARRIER = b"\r\nNO CARRIER\r\n"


class PppFarEnd:
    """One slot's dial-up calls, one at a time, over ``carrier`` (made with ``far_end="tun"``).
    ``ended`` is called when a call ends on the network's side (the modem leaves data mode)."""

    def __init__(self, carrier: CarrierNetwork, ended: Callable[[], None], auth: str = "chap") -> None:
        if carrier.tun_fd is None:
            raise ValueError(f"{carrier.namespace}: a PPP far end needs a carrier network with a tun far end")
        self.carrier = carrier
        self.tun_fd = carrier.tun_fd
        self.ended = ended
        self.auth = auth
        self.log: list[str] = []          # every call's PPP log, pppd's way
        self.calls = 0
        self._lock = threading.Lock()
        self._endpoint: PppEndpoint | None = None
        self._reply: Callable[[bytes], None] | None = None
        self._goodbye = b""   # a Terminate-Request the network's side owes the host
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._closed = False
        self._thread = threading.Thread(target=self._pump, name=f"ppp-{carrier.namespace}", daemon=True)
        self._thread.start()

    def _config(self) -> PppConfig:
        give = not self.carrier.faults.no_dhcp
        return PppConfig(role="server", local_address=self.carrier.gateway,
                         peer_address=self.carrier.client_address if give else "",
                         dns=(self.carrier.dns_server,) if give else (), require_auth=self.auth)

    # -- the model's side: bytes from the host in data mode --------------------------------------
    def connected(self, reply: Callable[[bytes], None]) -> None:
        """Right after CONNECT the modem sends its LCP Configure-Request, as real ones do."""
        with self._lock:
            if self._closed or self._endpoint is not None:
                return
            self._reply = reply
            out = self._start()
        reply(out)
        self._wake()

    def _start(self) -> bytes:
        """Under the lock: a new PPP session for a new call; its first bytes."""
        self._endpoint = PppEndpoint(self._config())
        self.calls += 1
        return self._endpoint.start()

    def receive(self, data: bytes, reply: Callable[[bytes], None]) -> bytes:
        with self._lock:
            if self._closed:
                return data
            self._reply = reply
            out = b""
            if self._endpoint is None:
                if FLAG not in data:
                    return data        # no frame: text (the host's AT to hang up, or line noise)
                out = self._start()    # a call on a port whose CONNECT went elsewhere (ModemManager's)
            endpoint = self._endpoint
            assert endpoint is not None
            out += endpoint.receive(data)
            noise = endpoint.take_noise()
            self._to_network(endpoint.take_ip())
            finished = endpoint.closed
        if out:
            reply(out)
        if finished:
            self._call_ended(endpoint)
        self._wake()   # the endpoint's timers may have changed
        return noise

    def hang_up(self) -> None:
        """The call ended on the modem's side: the next CONNECT starts a new PPP session."""
        with self._lock:
            self._retire()

    def _retire(self) -> Callable[[bytes], None] | None:
        """Under the lock: the call's session is over (its log kept); how it answered the host."""
        reply = self._reply
        if self._endpoint is not None:
            self.log += self._endpoint.log
        self._endpoint, self._reply = None, None
        return reply

    def _call_ended(self, endpoint: PppEndpoint) -> None:
        """The PPP session closed (terminated, or negotiation gave up): NO CARRIER, command mode."""
        with self._lock:
            if self._endpoint is not endpoint:
                return
            reply = self._retire()
        if reply is not None:
            reply(NO_CARRIER)
        self.ended()

    # -- the network's side: the tun far end and the endpoint's timers --------------------------
    def _to_network(self, packets: list[bytes]) -> None:
        """Under the lock (so never after close(), when the carrier may close the tun)."""
        for packet in packets:
            try:
                os.write(self.tun_fd, packet)
            except OSError:   # EIO: the far end is down (link_drop): the network ends the call
                self._drop_call()
                return

    def _drop_call(self) -> None:
        """Under the lock: the network lost the session: LCP Terminate-Request to the host (then NO
        CARRIER once it answers), sent by the pump thread."""
        endpoint = self._endpoint
        if endpoint is not None and not endpoint.closed:
            self._goodbye += endpoint.close()

    def _pump(self) -> None:
        while True:
            with self._lock:
                timeout = self._endpoint.next_timeout() if self._endpoint is not None else None
            ready, _, _ = select.select([self.tun_fd, self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
                if self._closed:
                    return
            out, reply, finished = b"", None, None
            with self._lock:
                endpoint = self._endpoint
                if self.tun_fd in ready:
                    try:
                        packet = os.read(self.tun_fd, 65535)
                    except OSError:
                        packet = b""
                    if endpoint is not None and endpoint.opened and packet:
                        out += endpoint.send_ip(packet)
                if endpoint is not None:
                    out += self._goodbye + endpoint.poll()
                    finished = endpoint if endpoint.closed else None
                self._goodbye = b""
                reply = self._reply
            if out and reply is not None:
                reply(out)
            if finished is not None:
                self._call_ended(finished)

    def _wake(self) -> None:
        """Wake the pump (its timers changed, or there is a goodbye to send); nothing once closed."""
        with self._lock:
            if not self._closed:
                try:
                    os.write(self._wake_w, b"x")
                except BlockingIOError:
                    pass   # a wake-up is pending already

    def evidence(self) -> dict[str, str]:
        with self._lock:
            lines = self.log + (self._endpoint.log if self._endpoint is not None else [])
        return {"modem's PPP log (the network's side)": "\n".join(lines) + "\n"} if lines else {}

    def close(self) -> None:
        """Stop (before the carrier network closes its tun)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        if not self._thread.is_alive():   # else its descriptors stay: never reused under a running thread
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)
