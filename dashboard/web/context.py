"""The store and the data service the callbacks and the API use, set once when the app is created.

``snapshot()`` is the one way pages, the API and exports read figures: it applies the scope of whoever is
asking (``set_scope_provider``, installed by the accounts layer; without it, everything is visible).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from dashboard.web.data import DataService, Scope, Snapshot

_engine: Engine | None = None
_data: DataService | None = None
_scope_provider: Callable[[], Scope] = lambda: None  # noqa: E731


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


def set_scope_provider(provider: Callable[[], Scope]) -> None:
    """Who decides what the current request may see (the accounts layer, from the signed-in user)."""
    global _scope_provider
    _scope_provider = provider


def current_scope() -> Scope:
    return _scope_provider()


def snapshot() -> Snapshot:
    """The figures the current request may see."""
    return data().snapshot(current_scope())
