"""+CME ERROR and +CMS ERROR codes: 3GPP TS 27.007 section 9.2 (mobile equipment, with the GPRS/EPS/5GS
causes of 9.2.2) and TS 27.005 section 3.2.5 (message service), numeric and text forms.

The tables are data (``error_codes.json``); the texts are ModemManager's for the same codes
(``include/ModemManager-errors.h`` and ``src/mm-error-helpers.c``), so a failure reads the same in
hilkit's report as in ``mmcli``.
"""
from __future__ import annotations

import json
import re
from importlib.resources import files

_TABLES = json.loads((files("hilkit.modem") / "error_codes.json").read_text(encoding="utf-8"))
#: +CME ERROR code -> text (27.007 9.2.1 and the GPRS/EPS/5GS causes of 9.2.2)
CME_ERRORS: dict[int, str] = {int(code): text for code, text in _TABLES["cme"].items()}
#: +CMS ERROR code -> text (27.005 3.2.5)
CMS_ERRORS: dict[int, str] = {int(code): text for code, text in _TABLES["cms"].items()}

#: +CME ERROR codes that are about the SIM (27.007 9.2.1: not inserted, PIN/PUK needed, failure, busy,
#: wrong, wrong password, PIN2/PUK2)
SIM_CODES = frozenset({5, 10, 11, 12, 13, 14, 15, 16, 17, 18})


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_TEXT = {_key(text): code for code, text in CME_ERRORS.items()}


def cme_text(code: int) -> str:
    return CME_ERRORS.get(code, f"error {code}")


def cme_code_of_text(text: str) -> int | None:
    """The code of a text-form ``+CME ERROR: <text>`` (``AT+CMEE=2``), matched without case and
    punctuation; None for a text 27.007 does not name."""
    return _BY_TEXT.get(_key(text))
