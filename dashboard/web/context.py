"""The store and the data service the callbacks and the API use, set once when the app is created."""

from __future__ import annotations

from sqlalchemy import Engine

from dashboard.web.data import DataService

_engine: Engine | None = None
_data: DataService | None = None


def configure(engine: Engine, data: DataService) -> None:
    global _engine, _data
    _engine, _data = engine, data


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("create_app() has not run")
    return _engine


def data() -> DataService:
    if _data is None:
        raise RuntimeError("create_app() has not run")
    return _data
