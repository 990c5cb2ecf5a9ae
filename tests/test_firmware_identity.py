"""The modem's identity as 27.007 and the vendors write it, with the IMEI cut to its TAC."""
from __future__ import annotations

import pytest

from hilkit.core.identity import FirmwareIdentity, at_answer, imei_tac, mask_imei


@pytest.mark.parametrize("lines, prefix, expected", [
    (["+CGMR: 21.180.00.00.00"], "+CGMR:", "21.180.00.00.00"),           # with the prefix (27.007 allows)
    (["11.609.18.00.00"], "+CGMR:", "11.609.18.00.00"),                  # bare, as Huawei sticks answer
    (['+CGMI: "huawei"'], "+CGMI:", "huawei"),                          # quoted
    (["AT+CGMM", "E3131"], "+CGMM:", "E3131"),                          # an echo before the answer
    ([], "+CGSN:", ""),
])
def test_identification_answers(lines, prefix, expected):
    assert at_answer(lines, prefix) == expected


def test_the_imei_is_cut_to_its_tac_everywhere():
    assert imei_tac("860000000031310") == "86000000"
    assert imei_tac("35-209900-176148-1") == "35209900"            # the printed form, with dashes
    assert imei_tac("not an imei") == "" and imei_tac("1234") == ""
    assert mask_imei('<Imei>860000000031310</Imei>', "860000000031310") == "<Imei>86000000*******</Imei>"
    identity = FirmwareIdentity("huawei", "E3131", "21.158", imei_tac("860000000031310"), "AT", imei="860000000031310")
    assert "860000000031310" not in repr(identity) and "860000000031310" not in str(identity.labels())
    assert identity.labels() == {"modem_manufacturer": "huawei", "modem_model": "E3131", "firmware": "21.158",
                                 "imei_tac": "86000000"}
