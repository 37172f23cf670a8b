"""What a user may see and change on the Data page: imports within their scope, completeness per subtree.

The figures themselves are scoped by :func:`dashboard.web.context.snapshot`; this covers what the Data page
reads from the store directly (the list of imports, who has reported) and the server-side checks of
imports and rollbacks by an editor.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection

from dashboard.accounts.store import User
from dashboard.store import imports, queries
from dashboard.store.registry import Registry

_batch_orgs: dict[int, frozenset[int]] = {}  # committed batches never change what they touched
_lock = threading.Lock()


def allowed(conn: Connection, scope: frozenset[int] | None) -> set[int] | None:
    """Every organization under the scope's tops (None: everything)."""
    if scope is None:
        return None
    reg = Registry.load(conn)
    return set().union(*(reg.subtree(t) for t in scope if t in reg.orgs))


def _orgs_of(conn: Connection, batch_id: int) -> frozenset[int]:
    with _lock:
        hit = _batch_orgs.get(batch_id)
    if hit is None:
        hit = frozenset(imports.batch_orgs(conn, batch_id))
        with _lock:
            _batch_orgs[batch_id] = hit
    return hit


def visible_batches(conn: Connection, user: User, within: set[int] | None) -> list[dict]:
    """The imports this user may see: all for an admin; otherwise committed imports that touched only
    organizations ``within`` their scope, and rolled-back ones they made or rolled back themselves."""
    return [b for b in queries.batches(conn) if may_see(conn, user, within, b)]


def may_see(conn: Connection, user: User, within: set[int] | None, batch: dict) -> bool:
    if user.scope is None or within is None:
        return True
    if batch["status"] == queries.COMMITTED:
        orgs = _orgs_of(conn, batch["id"])
        return bool(orgs) and orgs <= within
    return user.name in (batch["created_by"], batch["rolled_back_by"])


def completeness_roots(root_id: int | None, scope: frozenset[int] | None) -> list[int | None]:
    """The subtrees whose completeness to show: the chosen organization, else the scope's tops."""
    if root_id is not None:
        return [root_id]
    return [None] if scope is None else sorted(scope)
