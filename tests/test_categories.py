"""The failure category is data: each error carries one, its message shows it, and the report's
categories.json (generated from the same enum) sorts every kind of error into its own, first."""
from __future__ import annotations

import re

import pytest

from hilkit.core.errors import (
    Category,
    HilkitError,
    PowerError,
    ProfileError,
    RigError,
    SwitchFailed,
    SwitchRefused,
    WaitTimeout,
    category_of,
)
from hilkit.report.results_files import CATEGORIES


def _allure_message(exc: BaseException) -> str:
    """What allure-pytest puts in a result's statusDetails.message: the qualified type, then str()."""
    return f"{type(exc).__module__}.{type(exc).__name__}: {exc}"


def _sorted_into(message: str) -> str | None:
    return next((c["name"] for c in CATEGORIES if re.match(c["messageRegex"], message)), None)


@pytest.mark.parametrize("category", [c for c in Category if c is not Category.TEST_TIMEOUT], ids=str)
def test_an_error_of_each_category_is_sorted_into_it(category):
    errors = [HilkitError("something happened on port 1-1.2", category=category),
              WaitTimeout("mode 'modem' on port 1-1.2", "nothing on the port", 2.0, category=category),
              SwitchFailed("HuaweiNewMode switch on port 1-1.2", category=category)]
    for error in errors:
        assert category_of(error) is category
        assert str(error).startswith(f"{category}: ")           # the message shows it first
        assert _sorted_into(_allure_message(error)) == category.value
        # wrapped by the dongle fixture's pytest.fail(f"{slot}: {type}: {exc}")
        wrapped = f"Failed: slot e3131 (port 1-1.2, Huawei E3131): {type(error).__name__}: {error}"
        assert _sorted_into(wrapped) == category.value


def test_errors_that_keep_their_file_line_form_are_sorted_by_type():
    for error, category in ((RigError("lab/x.yaml", 3, "slots[0].port", "not a port path"), Category.RIG_ERROR),
                            (ProfileError("p.yaml", 7, "modes", "missing"), Category.RIG_ERROR),
                            (SwitchRefused("can't use storage command", "it is a modem", "p.yaml:7"),
                             Category.SWITCH_REFUSED)):
        assert category_of(error) is category
        assert str(error).startswith(("lab/x.yaml:3: ", "p.yaml:7: "))   # unchanged one-line form
        assert _sorted_into(_allure_message(error)) == category.value


def test_a_class_category_can_be_named_per_instance_and_words_do_not_decide():
    assert category_of(PowerError("relay 17: reads back off")) is Category.POWER_FAULT
    assert category_of(SwitchFailed("wrong id: not really", category=Category.NO_REENUMERATION)) \
        is Category.NO_REENUMERATION
    unclassified = HilkitError("no re-enumeration, wrong id, SIM error, registration denied")
    assert category_of(unclassified) is None and _sorted_into(_allure_message(unclassified)) is None
    assert category_of(ValueError("wrong id: x")) is None


def test_pytest_timeouts_have_their_own_category():
    assert _sorted_into("Failed: Timeout (>2.0s) from pytest-timeout.") == "test timeout"


def test_categories_json_is_the_enum_in_order():
    assert [c["name"] for c in CATEGORIES] == [c.value for c in Category]
