"""Every setting is documented in the README, and settings are read when used, not at import time."""

from __future__ import annotations

from pathlib import Path

from dashboard import settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_set001_every_setting_is_documented_in_the_readme():
    for setting in settings.SETTINGS:
        assert f"| `{setting.name}` |" in README, setting.name


def test_set002_settings_are_read_from_the_environment_when_used(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.sqlite3"))
    assert settings.database_url() == f"sqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert settings.database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("IMPORT_LOCK_TIMEOUT", "soon")
    try:
        settings.get_int("IMPORT_LOCK_TIMEOUT")
    except ValueError as error:
        assert "IMPORT_LOCK_TIMEOUT" in str(error)
    else:
        raise AssertionError("a non-number was accepted")
