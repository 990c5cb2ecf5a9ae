"""The compiled profile schema is kept in the user's cache: reused when it is there, rebuilt when it
is damaged, and never needed (only slower) when the cache can't be written."""
from __future__ import annotations

from pathlib import Path

import fastjsonschema
import pytest

from hilkit.config import schema

GOOD = {"vendor": "huawei"}  # not a whole profile: the validator must reject it, whichever way it was built


def _compiled(monkeypatch: pytest.MonkeyPatch, cache: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return schema._fast.__wrapped__("profile")


def _rejects_an_incomplete_profile(validate) -> bool:
    try:
        validate(GOOD)
    except fastjsonschema.JsonSchemaException as exc:
        return "must contain" in str(exc)
    return False


def test_the_compiled_schema_is_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _compiled(monkeypatch, tmp_path)
    (cached,) = (tmp_path / "hilkit").glob("schema-profile-*.marshal")
    stamp = cached.stat().st_mtime_ns
    second = _compiled(monkeypatch, tmp_path)
    assert cached.stat().st_mtime_ns == stamp, "the cached schema was written again"
    assert _rejects_an_incomplete_profile(first) and _rejects_an_incomplete_profile(second)


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _compiled(monkeypatch, tmp_path)
    (cached,) = (tmp_path / "hilkit").glob("schema-profile-*.marshal")
    cached.write_bytes(b"\x00garbage")
    assert _rejects_an_incomplete_profile(_compiled(monkeypatch, tmp_path))
    assert cached.stat().st_size > 100_000


def test_an_unwritable_cache_only_costs_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hilkit").write_text("not a directory")  # unwritable even for root
    assert _rejects_an_incomplete_profile(_compiled(monkeypatch, tmp_path))
