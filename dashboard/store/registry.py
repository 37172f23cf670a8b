"""The organization registry: identity, history and lineage through renames, moves, merges and splits."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select, update

from dashboard.store import db
from dashboard.store.schema import audit_log, lineage_events, lineage_links, org_names, org_parents, organizations
from loaders.text import normalize_name

ONE_DAY = dt.timedelta(days=1)


class RegistryError(ValueError):
    """A restructuring request that cannot be carried out; the message is Vietnamese / English."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def code_key(code: str | None) -> str | None:
    return code.strip().upper() if code and code.strip() else None


@dataclass
class Org:
    id: int
    code: str | None
    name: str
    org_type: str | None
    parent_id: int | None
    level: int
    valid_from: dt.date | None
    valid_to: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name


@dataclass
class Registry:
    """Every organization, loaded once per transaction, with the lookups matching needs."""

    orgs: dict[int, Org] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Registry:
        reg = cls()
        cols = organizations.c
        query = select(cols.id, cols.code, cols.name, cols.org_type, cols.parent_id, cols.level, cols.valid_from,
                       cols.valid_to)
        for row in conn.execute(query):
            reg.add(Org(*row))
        return reg

    def add(self, org: Org) -> None:
        self.orgs[org.id] = org
        key = code_key(org.code)
        if key:
            self.by_code[key] = org.id
        self.by_name.setdefault(normalize_name(org.name), []).append(org.id)
        self.children.setdefault(org.parent_id, []).append(org.id)

    def roots(self) -> list[Org]:
        return [self.orgs[i] for i in self.children.get(None, [])]

    def subtree(self, root_id: int | None) -> set[int]:
        """The organization and everything under it (every organization for None)."""
        if root_id is None:
            return set(self.orgs)
        out: set[int] = set()
        stack = [root_id]
        while stack:
            org_id = stack.pop()
            if org_id in out:
                continue
            out.add(org_id)
            stack.extend(self.children.get(org_id, []))
        return out

    def find(self, ref: str) -> Org:
        """An organization by code, else by exact (normalized) name; raises RegistryError otherwise."""
        key = code_key(ref)
        if key and key in self.by_code:
            return self.orgs[self.by_code[key]]
        ids = self.by_name.get(normalize_name(ref), [])
        if len(ids) == 1:
            return self.orgs[ids[0]]
        if len(ids) > 1:
            raise RegistryError(f"Có {len(ids)} tổ chức tên «{ref}»; hãy dùng mã / {len(ids)} organizations are "
                                f"named “{ref}”; use the code")
        raise RegistryError(f"Không tìm thấy tổ chức «{ref}» / organization “{ref}” not found")

    def leaves_active_on(self, day: dt.date, within: set[int]) -> list[Org]:
        """Organizations with no active sub-organization: the ones that report."""
        out = []
        for org_id in within:
            org = self.orgs[org_id]
            if not org.active_on(day):
                continue
            kids = [k for k in self.children.get(org_id, []) if self.orgs[k].active_on(day)]
            if not kids:
                out.append(org)
        return sorted(out, key=lambda o: (o.code or "", o.name))


def audit(conn: Connection, actor: str, action: str, target: str | None, details: dict | None = None) -> None:
    conn.execute(insert(audit_log).values(at=now(), actor=actor, action=action, target=target,
                                          details=json.dumps(details or {}, ensure_ascii=False, default=str)))


def create_org(conn: Connection, reg: Registry, *, name: str, code: str | None, org_type: str | None,
               parent_id: int | None, valid_from: dt.date | None = None, created_batch_id: int | None = None,
               actor: str = "system") -> Org:
    """Add an organization (its name and parent history starts with its first change)."""
    key = code_key(code)
    if key and key in reg.by_code:
        raise RegistryError(f"Mã {code} đã có / code {code} already exists")
    parent = reg.orgs.get(parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise RegistryError(f"Không có tổ chức cấp trên #{parent_id} / no parent #{parent_id}")
    level = parent.level + 1 if parent else 0
    org_id = conn.execute(insert(organizations).values(
        code=code.strip() if code else None, name=name, name_norm=normalize_name(name), org_type=org_type,
        parent_id=parent_id, level=level, valid_from=valid_from, created_at=now(),
        created_batch_id=created_batch_id,
    ).returning(organizations.c.id)).scalar_one()
    org = Org(org_id, code.strip() if code else None, name, org_type, parent_id, level, valid_from, None)
    reg.add(org)
    if created_batch_id is None:
        audit(conn, actor, "org_create", org.label, {"id": org_id, "parent_id": parent_id, "org_type": org_type})
    return org


def create_orgs(conn: Connection, reg: Registry, items: list[dict], *, created_batch_id: int) -> list[Org]:
    """``create_org`` for many organizations at once (an import creating tens of thousands): the same checks
    and rows, written in bulk (ids reserved first, then executemany / COPY). ``items``: dicts of name, code,
    org_type, parent_id; every parent must exist already (create one level, then the next). Inside a write
    transaction only (see ``db.reserve_ids``)."""
    stamp = now()
    orgs: list[Org] = []
    seen: set[str] = set()
    for item in items:
        code, parent_id = item["code"], item["parent_id"]
        key = code_key(code)
        if key and (key in reg.by_code or key in seen):
            raise RegistryError(f"Mã {code} đã có / code {code} already exists")
        if key:
            seen.add(key)
        parent = reg.orgs.get(parent_id) if parent_id is not None else None
        if parent_id is not None and parent is None:
            raise RegistryError(f"Không có tổ chức cấp trên #{parent_id} / no parent #{parent_id}")
        orgs.append(Org(0, code.strip() if code else None, item["name"], item["org_type"], parent_id,
                        parent.level + 1 if parent else 0, None, None))
    for org, org_id in zip(orgs, db.reserve_ids(conn, organizations, len(orgs)), strict=True):
        org.id = org_id
    db.bulk_insert(conn, organizations, ["id", "code", "name", "name_norm", "org_type", "parent_id", "level",
                                           "created_at", "created_batch_id"],
                   [(o.id, o.code, o.name, normalize_name(o.name), o.org_type, o.parent_id, o.level, stamp,
                     created_batch_id) for o in orgs])
    for org in orgs:
        reg.add(org)
    return orgs


def _event(conn: Connection, kind: str, day: dt.date, actor: str, links: Iterable[tuple[int, str, float | None]],
           note: str | None = None) -> int:
    event_id = conn.execute(insert(lineage_events).values(
        kind=kind, effective_date=day, created_at=now(), created_by=actor, note=note,
    ).returning(lineage_events.c.id)).scalar_one()
    conn.execute(insert(lineage_links), [
        {"event_id": event_id, "org_id": org_id, "role": role, "share": share} for org_id, role, share in links
    ])
    return event_id


def _ensure_history(conn: Connection, org: Org) -> None:
    """Write the organization's first name and parent rows before its first change.

    History rows are written lazily: until an organization is renamed, moved or ended, its own row is its
    only name and parent (a national import creates 50.000 organizations that mostly never change).
    """
    if conn.execute(select(org_names.c.id).where(org_names.c.org_id == org.id).limit(1)).first() is None:
        conn.execute(insert(org_names).values(org_id=org.id, name=org.name, code=org.code,
                                              valid_from=org.valid_from))
    if conn.execute(select(org_parents.c.id).where(org_parents.c.org_id == org.id).limit(1)).first() is None:
        conn.execute(insert(org_parents).values(org_id=org.id, parent_id=org.parent_id, valid_from=org.valid_from))


def _require_active(org: Org, day: dt.date) -> None:
    if org.valid_to is not None and org.valid_to < day:
        raise RegistryError(f"«{org.label}» đã kết thúc ngày {org.valid_to:%d/%m/%Y} / "
                            f"“{org.label}” ended on {org.valid_to:%d/%m/%Y}")


def _end(conn: Connection, org: Org, day: dt.date) -> None:
    """The organization exists until the day before ``day``."""
    _ensure_history(conn, org)
    last = day - ONE_DAY
    conn.execute(update(organizations).where(organizations.c.id == org.id).values(valid_to=last))
    conn.execute(update(org_names).where(org_names.c.org_id == org.id, org_names.c.valid_to.is_(None))
                 .values(valid_to=last))
    conn.execute(update(org_parents).where(org_parents.c.org_id == org.id, org_parents.c.valid_to.is_(None))
                 .values(valid_to=last))
    org.valid_to = last


def rename(conn: Connection, reg: Registry, org: Org, new_name: str, day: dt.date, actor: str,
           new_code: str | None = None) -> int:
    """Same organization, new name (and code) from ``day`` on."""
    _require_active(org, day)
    _ensure_history(conn, org)
    key = code_key(new_code)
    if key and key in reg.by_code and reg.by_code[key] != org.id:
        raise RegistryError(f"Mã {new_code} đã có / code {new_code} already exists")
    last = day - ONE_DAY
    conn.execute(update(org_names).where(org_names.c.org_id == org.id, org_names.c.valid_to.is_(None))
                 .values(valid_to=last))
    code = new_code.strip() if new_code else org.code
    conn.execute(insert(org_names).values(org_id=org.id, name=new_name, code=code, valid_from=day))
    conn.execute(update(organizations).where(organizations.c.id == org.id).values(
        name=new_name, name_norm=normalize_name(new_name), code=code))
    old = {"name": org.name, "code": org.code}
    if org.code and code_key(org.code) in reg.by_code:
        del reg.by_code[code_key(org.code)]  # type: ignore[arg-type]
    org.name, org.code = new_name, code
    reg.add(org)
    event_id = _event(conn, "rename", day, actor, [(org.id, "from", None), (org.id, "to", None)],
                      json.dumps({"old": old, "new": {"name": new_name, "code": code}}, ensure_ascii=False))
    audit(conn, actor, "org_rename", org.label, {"old": old, "day": day})
    return event_id


def move(conn: Connection, reg: Registry, org: Org, new_parent: Org | None, day: dt.date, actor: str) -> int:
    """Same organization under another parent from ``day`` on."""
    _require_active(org, day)
    _ensure_history(conn, org)
    if new_parent is not None and new_parent.id in reg.subtree(org.id):
        raise RegistryError("Không thể chuyển một tổ chức vào dưới chính nó / cannot move an organization under "
                            "itself")
    last = day - ONE_DAY
    conn.execute(update(org_parents).where(org_parents.c.org_id == org.id, org_parents.c.valid_to.is_(None))
                 .values(valid_to=last))
    new_id = new_parent.id if new_parent else None
    conn.execute(insert(org_parents).values(org_id=org.id, parent_id=new_id, valid_from=day))
    level = new_parent.level + 1 if new_parent else 0
    conn.execute(update(organizations).where(organizations.c.id == org.id).values(parent_id=new_id, level=level))
    reg.children.get(org.parent_id, []).remove(org.id)
    reg.children.setdefault(new_id, []).append(org.id)
    old_parent = org.parent_id
    org.parent_id, org.level = new_id, level
    _relevel(conn, reg, org)
    event_id = _event(conn, "move", day, actor, [(org.id, "from", None), (org.id, "to", None)],
                      json.dumps({"old_parent_id": old_parent, "new_parent_id": new_id}))
    audit(conn, actor, "org_move", org.label, {"old_parent_id": old_parent, "new_parent_id": new_id, "day": day})
    return event_id


def _relevel(conn: Connection, reg: Registry, org: Org) -> None:
    for child_id in reg.children.get(org.id, []):
        child = reg.orgs[child_id]
        if child.level != org.level + 1:
            child.level = org.level + 1
            conn.execute(update(organizations).where(organizations.c.id == child.id).values(level=child.level))
        _relevel(conn, reg, child)


def merge(conn: Connection, reg: Registry, sources: list[Org], target: Org, day: dt.date, actor: str) -> int:
    """``sources`` end the day before ``day``; from then on ``target`` carries them (their history too)."""
    if not sources or any(s.id == target.id for s in sources):
        raise RegistryError("Sáp nhập cần tổ chức khác với tổ chức nhận / a merge needs sources other than "
                            "its target")
    for org in [*sources, target]:
        _require_active(org, day)
    for src in sources:
        _end(conn, src, day)
    links = [(s.id, "from", None) for s in sources] + [(target.id, "to", 1.0)]
    event_id = _event(conn, "merge", day, actor, links)
    audit(conn, actor, "org_merge", target.label, {"sources": [s.label for s in sources], "day": day})
    return event_id


def split(conn: Connection, reg: Registry, source: Org, targets: list[tuple[Org, float | None]], day: dt.date,
          actor: str) -> int:
    """``source`` ends; its history is shared among ``targets`` (by the shares given, else equally)."""
    if len(targets) < 2:
        raise RegistryError("Chia tách cần ít nhất hai tổ chức mới / a split needs at least two targets")
    _require_active(source, day)
    shares = [share for _, share in targets]
    if any(s is None for s in shares):
        shares = [1.0 / len(targets)] * len(targets)
    total = sum(shares)  # type: ignore[arg-type]
    if total <= 0:
        raise RegistryError("Tỷ lệ chia phải dương / shares must be positive")
    _end(conn, source, day)
    links = [(source.id, "from", None)] + [(org.id, "to", share / total)  # type: ignore[operator]
                                            for (org, _), share in zip(targets, shares, strict=True)]
    event_id = _event(conn, "split", day, actor, links)
    audit(conn, actor, "org_split", source.label, {"targets": [t.label for t, _ in targets], "day": day})
    return event_id


def dissolve(conn: Connection, reg: Registry, org: Org, day: dt.date, actor: str) -> int:
    """The organization ends the day before ``day`` with no successor."""
    _require_active(org, day)
    live_children = [reg.orgs[c] for c in reg.children.get(org.id, []) if reg.orgs[c].valid_to is None]
    if live_children:
        raise RegistryError(f"«{org.label}» còn {len(live_children)} tổ chức trực thuộc; hãy chuyển hoặc giải thể "
                            f"trước / “{org.label}” still has {len(live_children)} sub-organizations")
    _end(conn, org, day)
    event_id = _event(conn, "dissolve", day, actor, [(org.id, "from", None)])
    audit(conn, actor, "org_dissolve", org.label, {"day": day})
    return event_id


def successor_shares(conn: Connection, reg: Registry) -> dict[int, dict[int, float]]:
    """For every organization, the organizations of today that carry it and in what share.

    An organization that still exists carries itself; a merged one is carried by its target, a split one
    by its targets in their shares, transitively; a dissolved one by nobody.
    """
    events = conn.execute(select(lineage_events.c.id, lineage_events.c.kind).where(
        lineage_events.c.kind.in_(("merge", "split"))).order_by(lineage_events.c.effective_date,
                                                                 lineage_events.c.id)).all()
    kinds = dict(events)
    links: dict[int, list[tuple[int, str, float | None]]] = {}
    for event_id, org_id, role, share in conn.execute(select(
            lineage_links.c.event_id, lineage_links.c.org_id, lineage_links.c.role, lineage_links.c.share)):
        if event_id in kinds:
            links.setdefault(event_id, []).append((org_id, role, share))
    successors: dict[int, list[tuple[int, float]]] = {}
    for event_id in kinds:
        rows = links.get(event_id, [])
        targets = [(o, s if s is not None else 1.0) for o, r, s in rows if r == "to"]
        for org_id, role, _share in rows:
            if role == "from":
                successors.setdefault(org_id, []).extend(targets)
    memo: dict[int, dict[int, float]] = {}

    def resolve(org_id: int, seen: frozenset[int]) -> dict[int, float]:
        if org_id in memo:
            return memo[org_id]
        org = reg.orgs.get(org_id)
        if org is None or org_id in seen:
            return {}
        if org.valid_to is None:
            out = {org_id: 1.0}
        else:
            out = {}
            for target, share in successors.get(org_id, []):
                for final, part in resolve(target, seen | {org_id}).items():
                    out[final] = out.get(final, 0.0) + share * part
        memo[org_id] = out
        return out

    return {org_id: resolve(org_id, frozenset()) for org_id in reg.orgs}
