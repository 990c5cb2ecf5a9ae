"""Sockets bound to one interface (``SO_BINDTODEVICE``): what they send leaves by that interface
and nothing else, and they hear only what arrives on it, so the host's own routes can neither carry
a check nor answer it in the dongle's place."""
from __future__ import annotations

import socket
import time

from hilkit.net.failures import InterfaceCommandFailed, Unreachable


def bind_to(sock: socket.socket, ifname: str) -> socket.socket:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    except PermissionError:
        sock.close()
        raise InterfaceCommandFailed(f"binding a socket to {ifname} needs CAP_NET_RAW (run as root or give "
                                     "the capability)") from None
    except OSError as exc:
        sock.close()
        raise InterfaceCommandFailed(f"binding a socket to {ifname}: {exc.strerror or exc}") from None
    return sock


def udp_socket(ifname: str) -> socket.socket:
    return bind_to(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), ifname)


def tcp_connect(address: str, port: int, ifname: str, timeout: float) -> tuple[socket.socket, float]:
    """A TCP connection to ``address:port`` through ``ifname`` and how long the handshake took (s).
    Raises :class:`Unreachable` when it is refused or not answered within ``timeout`` s."""
    sock = bind_to(socket.socket(socket.AF_INET, socket.SOCK_STREAM), ifname)
    sock.settimeout(timeout)
    start = time.monotonic()
    try:
        sock.connect((address, port))
    except TimeoutError:
        sock.close()
        raise Unreachable(f"no answer from {address}:{port} through {ifname} within {timeout:.1f} s "
                          "(TCP connect)") from None
    except OSError as exc:
        sock.close()
        raise Unreachable(f"{address}:{port} through {ifname}: {exc.strerror or exc}") from None
    return sock, time.monotonic() - start
