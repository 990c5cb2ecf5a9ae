"""Garbage from a modem never crashes the AT client: any byte stream gives a response, a clean
error or a timeout, and the reader keeps running (hypothesis)."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hilkit.core.errors import ModemError, WaitTimeout
from hilkit.modem.at import AtClient
from hilkit.modem.ts27007 import parse_registration
from hilkit.sim.adapters.pty_port import PtyPort

EXAMPLES = int(os.environ.get("HILKIT_FUZZ_EXAMPLES", "200"))
LINES = st.sampled_from([b"OK", b"ERROR", b"+CME ERROR: 10", b"+CME ERROR: SIM busy", b"+CREG: 1", b"+CREG: 2,5,\"1A",
                         b"+CSQ: 99", b"RING", b"^RSSI:", b"NO CARRIER", b"CONNECT 7200000", b"\x00\xff", b"+CMS ERROR:"])
STREAMS = st.lists(st.one_of(st.binary(max_size=40), LINES), max_size=12).map(
    lambda parts: b"\r\n".join(parts))


@pytest.fixture(scope="module")
def wire():
    port = PtyPort("fuzz")
    client = AtClient(port.path, default_timeout=0.05)
    yield port, client
    client.close()
    port.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=STREAMS, truncate=st.booleans())
def test_any_byte_stream_gives_a_result_or_a_clean_error(wire, stream, truncate):
    port, client = wire
    payload = stream[: len(stream) // 2] if truncate else stream
    port.write(payload + b"\r\n")
    try:
        response = client.command("AT", timeout=0.05, check=False)
        assert response.final
    except (WaitTimeout, ModemError) as exc:
        assert "\n" not in str(exc)
    assert client._reader.is_alive() and not client._reader_error


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.text(max_size=60))
def test_registration_parser_never_raises(text):
    parsed = parse_registration(text)
    assert parsed is None or (isinstance(parsed.stat, int) and isinstance(parsed.technology, str))
