"""The markers hilkit's tests use, registered with pytest (``--markers``, ``--strict-markers``),
and the feature names ``hilkit_requires`` takes."""
from __future__ import annotations

import pytest

FEATURES = ("switches", "refuse", "attach", "attach:at", "attach:hilink", "attach:modemmanager")


def register_markers(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "profile(*names): run only on slots whose profile is one of names "
                                       "(e.g. 'huawei/e3531')")
    config.addinivalue_line("markers", "mode(name): the dongle fixture brings the dongle into this profile mode")
    config.addinivalue_line("markers", "hilkit_phase(name, severity='critical'): the phase a test checks "
                                       "(power, enumeration, switch, attach, data): the Allure feature")
    config.addinivalue_line("markers", "hilkit_fault(name, probability=1.0, count=None): inject this fault "
                                       "in the virtual lab for this test (see hilkit.sim.model.fault_dice.FAULTS)")
    config.addinivalue_line("markers", "hilkit_requires(*features): run only on slots whose profile has these "
                                       f"({', '.join(FEATURES)})")
