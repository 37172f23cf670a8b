"""The import workflow, the same for the command line and the web page.

``import_file(..., dry_run=True)`` says what would change and writes nothing; with ``dry_run=False``
the whole import is one transaction holding the import lock: all of it is written or none. The same
bytes again are a no-op ("already imported in batch N"); a corrected file supersedes earlier values
metric by metric (both stay); ``rollback`` restores exactly what was there before a batch; a locked
period refuses imports until an administrator unlocks it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from dashboard.store import db
from dashboard.store.issues import store_issue
from dashboard.store.queries import COMMITTED, current_values, period_row, values_by_org
from dashboard.store.registry import Org, Registry, RegistryError, audit, code_key, create_orgs, now
from dashboard.store.schema import facts, import_batches, lineage_links, organizations, periods
from loaders import load
from loaders.catalogue import METRIC_IDS
from loaders.issues import make_issue
from loaders.model import Issue, LoadResult, OrgRecord, Period
from loaders.text import normalize_name

# Test hook: seconds to wait after every row is written and before the commit (kill tests use it).
HOLD_ENV = "STORE_TEST_HOLD_BEFORE_COMMIT"


class ImportRefused(Exception):
    """The import cannot go ahead (errors, unaccepted warnings, a locked period): nothing was written."""

    def __init__(self, message_vi: str, message_en: str, result: ImportResult | None = None) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en
        self.result = result


@dataclass
class ImportOptions:
    period: str | None = None  # for sheets that do not name their period (see loaders.load)
    create_orgs: bool = False  # create organizations the registry does not know yet
    accept_warnings: bool = False  # commit although there are warnings (never with errors)
    scope_id: int | None = None  # match and create organizations under this one (None: anywhere)
    # or under these (a user's scope: several subtrees); an empty set allows nothing
    scope_ids: frozenset[int] | None = None
    actor: str = "cli"
    column_map: dict[str, str] | str | None = None


@dataclass
class NewOrg:
    key: str
    name: str
    code: str | None
    org_type: str | None
    parent_id: int | None = None  # an existing parent
    parent_key: str | None = None  # or another new organization
    parent_label: str | None = None
    id: int | None = None  # once created


@dataclass
class Change:
    org: str
    org_id: int | None
    period: str
    metric: str
    old: int | None
    new: int


@dataclass
class PlanPeriod:
    code: str
    label: str
    organizations: int = 0
    values: int = 0


@dataclass
class _Row:
    """One organization's values for one period, ready to be written."""

    org_id: int | None
    new_key: str | None
    period: Period
    record: OrgRecord


@dataclass
class ImportResult:
    file_name: str
    sha256: str
    size: int
    format: str
    status: str = "dry_run"  # dry_run, committed, duplicate
    batch_id: int | None = None
    duplicate_of: int | None = None
    periods: list[PlanPeriod] = field(default_factory=list)
    new_orgs: list[NewOrg] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list, repr=False)
    sheets: list[dict] = field(default_factory=list, repr=False)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def as_dict(self, lang: str = "vi", *, limit: int | None = None) -> dict[str, Any]:
        changes = self.changes if limit is None else self.changes[:limit]
        return {
            "file": self.file_name, "sha256": self.sha256, "size": self.size, "format": self.format,
            "status": self.status, "batch_id": self.batch_id, "duplicate_of": self.duplicate_of,
            "periods": [p.__dict__ for p in self.periods],
            "new_organizations": [{"name": n.name, "code": n.code, "org_type": n.org_type,
                                   "parent": n.parent_label} for n in self.new_orgs],
            "changes": [c.__dict__ for c in changes],
            "changes_total": len(self.changes), "unchanged": self.unchanged,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "issues": [i.as_dict(lang) for i in self.issues],  # type: ignore[arg-type]
        }


def import_file(engine: Engine, data: bytes, file_name: str, options: ImportOptions | None = None, *,
                dry_run: bool = True, loader: Callable[..., LoadResult] = load) -> ImportResult:
    """Check a file against the store; unless ``dry_run``, write it in one transaction.

    Raises ``UnreadableFileError`` (a file that cannot be read), ``ImportRefused`` (nothing written) and
    ``db.StoreBusy`` (another import holds the lock past the timeout).
    """
    options = options or ImportOptions()
    started = time.perf_counter()
    sha = hashlib.sha256(data).hexdigest()
    # ``loader``: the web page reads uploads in a separate process with a time limit (dashboard.web.parsing)
    loaded = loader(data, filename=file_name, period=options.period, column_map=options.column_map)
    result = ImportResult(file_name=file_name, sha256=sha, size=len(data), format=loaded.format)
    result.issues.extend(loaded.issues)
    result.seconds["read"] = time.perf_counter() - started
    if dry_run:
        with _gc_paused(), db.read_transaction(engine) as conn:
            _plan(conn, loaded, options, result)
        result.seconds["plan"] = time.perf_counter() - started - result.seconds["read"]
        return result
    with _gc_paused(), db.write_transaction(engine) as conn:
        _plan(conn, loaded, options, result)
        result.seconds["plan"] = time.perf_counter() - started - result.seconds["read"]
        if result.status == "duplicate":
            return result
        _refuse_unless_clean(result, options)
        _write(conn, result, options)
        hold = os.environ.get(HOLD_ENV)
        if hold:
            print(f"holding {result.batch_id}", flush=True)
            time.sleep(float(hold))
    result.status = "committed"
    result.seconds["write"] = time.perf_counter() - started - result.seconds["read"] - result.seconds["plan"]
    return result


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Planning a national file makes millions of small objects (a Change per value) and no reference cycles;
    the cyclic garbage collector would walk them over and over (half of the planning time). Pause it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _refuse_unless_clean(result: ImportResult, options: ImportOptions) -> None:
    if result.errors:
        raise ImportRefused(
            f"Tệp có {len(result.errors)} lỗi nên không được nhập; hãy sửa rồi gửi lại.",
            f"The file has {len(result.errors)} errors and was not imported; correct it and send it again.",
            result)
    if result.warnings and not options.accept_warnings:
        raise ImportRefused(
            f"Tệp có {len(result.warnings)} cảnh báo; xem lại và chọn «chấp nhận cảnh báo» để nhập.",
            f"The file has {len(result.warnings)} warnings; review them and choose “accept warnings” to import.",
            result)


# --- planning --------------------------------------------------------------------------------
def _plan(conn: Connection, loaded: LoadResult, options: ImportOptions, result: ImportResult) -> None:
    dup = conn.execute(select(import_batches.c.id).where(import_batches.c.sha256 == result.sha256,
                                                         import_batches.c.status == COMMITTED)).scalar()
    if dup is not None:
        result.status, result.duplicate_of = "duplicate", dup
        return
    reg = Registry.load(conn)
    tops = _scope_tops(reg, options)
    restricted = tops is not None
    scope = set().union(*(reg.subtree(t) for t in tops)) if tops is not None else reg.subtree(None)
    scope_label = ", ".join(reg.orgs[t].label for t in sorted(tops or ()))
    default_parent = tops[0] if tops is not None and len(tops) == 1 else None
    if not restricted and len(reg.roots()) == 1:
        default_parent = reg.roots()[0].id
    matcher = _Matcher(reg, scope, scope_label, default_parent, options.create_orgs, result, restricted=restricted)
    sheet_index: dict[str, int] = {}
    for pdata in loaded.periods:
        if pdata.period is None:
            for sheet in pdata.sheets:
                result.issues.append(store_issue("period_required", sheet=sheet))
            continue
        existing = period_row(conn, pdata.period.id)
        if existing and existing["locked"]:
            result.issues.append(store_issue("period_locked", value=pdata.period.id))
        plan_period = PlanPeriod(pdata.period.id, pdata.period.label)
        result.periods.append(plan_period)
        seen: dict[tuple[int | None, str | None], OrgRecord] = {}
        for rec in pdata.records:
            org_id, new_key = matcher.match(rec, pdata.period)
            if org_id is None and new_key is None:
                continue
            if (org_id, new_key) in seen:
                first = seen[(org_id, new_key)]
                result.issues.append(make_issue("duplicate_org", sheet=rec.sheet, cell=rec.name_cell, org=rec.key,
                                                first_cell=first.name_cell))
                continue
            seen[(org_id, new_key)] = rec
            sheet_index.setdefault(rec.sheet, len(sheet_index))
            result.rows.append(_Row(org_id, new_key, pdata.period, rec))
            plan_period.organizations += 1
            plan_period.values += len(rec.metrics)
    result.new_orgs = list(matcher.new.values())
    result.sheets = _sheets(loaded, sheet_index)
    _diff(conn, result)


def _scope_tops(reg: Registry, options: ImportOptions) -> list[int] | None:
    """The organizations whose subtrees this import may touch (None: anywhere)."""
    if options.scope_ids is not None:
        return sorted(i for i in options.scope_ids if i in reg.orgs)
    if options.scope_id is not None:
        return [options.scope_id]
    return None


def _sheets(loaded: LoadResult, index: dict[str, int]) -> list[dict]:
    columns: dict[str, dict[str, str]] = {name: {} for name in index}
    for col in loaded.columns:
        if col.sheet in columns and col.target:
            columns[col.sheet][col.target] = col.column
    return [{"name": name, "columns": columns[name]} for name in sorted(index, key=index.get)]  # type: ignore[arg-type]


def _diff(conn: Connection, result: ImportResult) -> None:
    """Old and new value of every metric, for organizations that already exist."""
    by_period: dict[str, list[_Row]] = {}
    for row in result.rows:
        by_period.setdefault(row.period.id, []).append(row)
    for code, rows in by_period.items():
        existing = period_row(conn, code)
        old: dict[tuple[int, int], dict[str, int]] = {}
        known = [r.org_id for r in rows if r.org_id is not None]
        if existing and known:
            old = values_by_org(current_values(conn, [existing["id"]], known))
        for row in rows:
            before = old.get((row.org_id, existing["id"]), {}) if existing and row.org_id is not None else {}
            label = row.record.key
            for metric, value in row.record.metrics.items():
                previous = before.get(metric)
                if previous == value:
                    result.unchanged += 1
                else:
                    result.changes.append(Change(label, row.org_id, code, metric, previous, value))


class _Matcher:
    """Organizations in the file → the registry: by code, else by name within the scope; never a guess."""

    def __init__(self, reg: Registry, scope: set[int], scope_label: str, default_parent: int | None,
                 create: bool, result: ImportResult, *, restricted: bool = False) -> None:
        self.reg, self.scope, self.scope_label, self.restricted = reg, scope, scope_label, restricted
        self.default_parent, self.create, self.result = default_parent, create, result
        self.new: dict[str, NewOrg] = {}
        # indexes of ``new`` (a scan of it per row made planning quadratic): insertion order, first key per code
        self._position: dict[str, int] = {}
        self._new_by_code: dict[str | None, str] = {}
        self.cache: dict[tuple[str, str], tuple[int | None, str | None]] = {}

    def match(self, rec: OrgRecord, period: Period) -> tuple[int | None, str | None]:
        ident = ("code", code_key(rec.code) or "") if rec.code else (
            "name", normalize_name(rec.name) + "|" + normalize_name(rec.parent or ""))
        if ident in self.cache:
            return self.cache[ident]
        found = self._match(rec, period)
        self.cache[ident] = found
        return found

    def _issue(self, code: str, rec: OrgRecord, **ctx: Any) -> None:
        name = f"{rec.name} ({rec.code})" if rec.code else rec.name
        self.result.issues.append(store_issue(code, sheet=rec.sheet, cell=rec.name_cell, org=rec.key, name=name,
                                              **ctx))

    def _match(self, rec: OrgRecord, period: Period) -> tuple[int | None, str | None]:
        reg = self.reg
        key = code_key(rec.code)
        if key and key in reg.by_code:
            org = reg.orgs[reg.by_code[key]]
            if org.id not in self.scope:
                self._issue("org_outside_scope", rec, scope=self.scope_label)
                return None, None
            return self._checked(org, rec, period), None
        candidates = [i for i in reg.by_name.get(normalize_name(rec.name), []) if i in self.scope]
        if rec.parent and len(candidates) > 1:
            parent_norm = normalize_name(rec.parent)
            candidates = [i for i in candidates if self._parent_is(reg.orgs[i], parent_norm)]
        if len(candidates) > 1:
            active = [i for i in candidates if reg.orgs[i].active_on(period.end)]
            candidates = active or candidates
        if len(candidates) == 1:
            return self._checked(reg.orgs[candidates[0]], rec, period), None
        if len(candidates) > 1:
            names = ", ".join(reg.orgs[i].label for i in candidates[:5])
            self._issue("org_ambiguous", rec, count=len(candidates), candidates=names)
            return None, None
        if not self.create:
            self._issue("org_not_found", rec)
            return None, None
        key = self._plan_new(rec)
        if key is None:  # a restricted import cannot place it inside its scope
            self._issue("org_outside_scope", rec, scope=self.scope_label)
            return None, None
        return None, key

    def _parent_is(self, org: Org, parent_norm: str) -> bool:
        parent = self.reg.orgs.get(org.parent_id) if org.parent_id else None
        return parent is not None and (normalize_name(parent.name) == parent_norm
                                       or normalize_name(parent.code or "") == parent_norm)

    def _checked(self, org: Org, rec: OrgRecord, period: Period) -> int:
        if not org.active_on(period.end) and org.valid_to is not None:
            self._issue("org_ended", rec, value=org.valid_to.strftime("%d/%m/%Y"))
        return org.id

    def _plan_new(self, rec: OrgRecord) -> str | None:
        key = f"code:{code_key(rec.code)}" if rec.code else f"name:{normalize_name(rec.name)}|" \
                                                             f"{normalize_name(rec.parent or '')}"
        if key in self.new:
            return key
        new = NewOrg(key=key, name=rec.name, code=rec.code, org_type=rec.org_type)
        parent_ref = rec.parent or (rec.group if rec.group and _group_is_org(rec) else None)
        if parent_ref:
            self._attach(new, parent_ref)
        else:
            new.parent_id = self.default_parent
            new.parent_label = self.reg.orgs[self.default_parent].label if self.default_parent else None
        if self.restricted and new.parent_key is None and new.parent_id not in self.scope:
            return None  # it would land outside the scope (or at the top of the tree)
        self._add_new(key, new)
        return key

    def _add_new(self, key: str, new: NewOrg) -> None:
        self._position.setdefault(key, len(self._position))
        self._new_by_code.setdefault(code_key(new.code), key)
        self.new[key] = new

    def _attach(self, new: NewOrg, parent_ref: str) -> None:
        """The parent named in the file: an organization we know, one planned already, or a new one."""
        key = code_key(parent_ref)
        ids = [i for i in self.reg.by_name.get(normalize_name(parent_ref), []) if i in self.scope]
        if key and key in self.reg.by_code and self.reg.by_code[key] in self.scope:
            ids = [self.reg.by_code[key]]
        if len(ids) == 1:
            new.parent_id = ids[0]
            new.parent_label = self.reg.orgs[ids[0]].label
            return
        pkey = f"name:{normalize_name(parent_ref)}|"
        # the first planned organization (in planning order) keyed by that name or carrying that code
        found = [k for k in (pkey if pkey in self.new else None, self._new_by_code.get(key)) if k is not None]
        if found:
            planned_key = min(found, key=self._position.__getitem__)
            new.parent_key, new.parent_label = planned_key, self.new[planned_key].name
            return
        if self.restricted and self.default_parent is None:
            return  # nowhere inside the scope to put the new parent: the caller refuses the organization
        parent = NewOrg(key=pkey, name=parent_ref, code=None, org_type=None, parent_id=self.default_parent,
                        parent_label=self.reg.orgs[self.default_parent].label if self.default_parent else None)
        self._add_new(pkey, parent)
        new.parent_key, new.parent_label = pkey, parent_ref


def _group_is_org(rec: OrgRecord) -> bool:
    """A group heading that names no organization type names an organization (a province, a district)."""
    from loaders.catalogue import match_org_type

    return bool(rec.group) and match_org_type(rec.group or "") is None


# --- writing ---------------------------------------------------------------------------------
def _write(conn: Connection, result: ImportResult, options: ImportOptions) -> None:
    period_ids = {code: _ensure_period(conn, row.period) for code, row in
                  {r.period.id: r for r in result.rows}.items()}
    result.batch_id = conn.execute(insert(import_batches).values(
        file_name=result.file_name[:300], sha256=result.sha256, size_bytes=result.size, format=result.format,
        created_by=options.actor, created_at=now(), status=COMMITTED, accepted_warnings=options.accept_warnings,
        organizations=len({(r.org_id, r.new_key) for r in result.rows}),
        facts=sum(len(r.record.metrics) for r in result.rows), created_orgs=len(result.new_orgs),
        errors=len(result.errors), warnings=len(result.warnings),
        periods=json.dumps([p.code for p in result.periods]),
        sheets=json.dumps(result.sheets, ensure_ascii=False),
        issues=json.dumps([i.as_dict() for i in result.issues], ensure_ascii=False, default=str),
    ).returning(import_batches.c.id)).scalar_one()
    _create_orgs(conn, result, options)
    sheet_no = {s["name"]: i for i, s in enumerate(result.sheets)}
    ids = {n.key: n.id for n in result.new_orgs}
    rows = []
    for row in result.rows:  # tuples in _FACT_COLUMNS order (a dict per row costs a national file a second)
        rec = row.record
        other = {m: f"{sheet}!{cell}" for m, (sheet, cell) in rec.other_cells.items()}
        rows.append((result.batch_id, row.org_id if row.org_id is not None else ids[row.new_key],
                     period_ids[row.period.id], sheet_no[rec.sheet], rec.row,
                     json.dumps(other, ensure_ascii=False) if other else None, *map(rec.metrics.get, METRIC_IDS)))
    _bulk_insert(conn, rows)
    audit(conn, options.actor, "import", result.file_name, {
        "batch_id": result.batch_id, "periods": [p.code for p in result.periods], "rows": len(rows),
        "created_orgs": len(result.new_orgs), "accepted_warnings": options.accept_warnings})


def _ensure_period(conn: Connection, period: Period) -> int:
    existing = period_row(conn, period.id)
    if existing:
        return existing["id"]
    return conn.execute(insert(periods).values(
        code=period.id, kind=period.kind, start=period.start, end=period.end, label=period.label, locked=False,
    ).returning(periods.c.id)).scalar_one()


def _create_orgs(conn: Connection, result: ImportResult, options: ImportOptions) -> None:
    if not result.new_orgs:
        return
    reg = Registry.load(conn)
    pending = list(result.new_orgs)
    by_key = {n.key: n for n in pending}
    while pending:
        ready = [n for n in pending if n.parent_key is None or by_key[n.parent_key].id is not None]
        if not ready:
            raise ImportRefused("Vòng lặp tổ chức cấp trên trong tệp.", "The file's parents form a loop.", result)
        # one level at a time, each written in bulk (an INSERT per organization is far too slow)
        items = [{"name": n.name, "code": n.code, "org_type": n.org_type,
                  "parent_id": n.parent_id if n.parent_key is None else by_key[n.parent_key].id} for n in ready]
        try:
            created = create_orgs(conn, reg, items, created_batch_id=result.batch_id)  # type: ignore[arg-type]
        except RegistryError as error:
            raise ImportRefused(str(error), str(error), result) from None
        for new, org in zip(ready, created, strict=True):
            new.id = org.id
        pending = [n for n in pending if n.id is None]


_FACT_COLUMNS = ("batch_id", "org_id", "period_id", "sheet_no", "row_no", "cells", *METRIC_IDS)


def _bulk_insert(conn: Connection, rows: list[tuple]) -> None:
    if rows:
        db.bulk_insert(conn, facts, _FACT_COLUMNS, rows)


# --- after an import -------------------------------------------------------------------------
def rollback(engine: Engine, batch_id: int, actor: str, *, within: frozenset[int] | None = None) -> dict:
    """Undo a committed import exactly: its values go, the earlier ones show again, organizations it
    created (and nothing else uses) go too. The batch's record stays, marked rolled back.

    ``within``: the tops of the subtrees the actor may change (None: anywhere); a batch that touched any
    organization outside them is refused.
    """
    with db.write_transaction(engine) as conn:
        row = conn.execute(select(import_batches).where(import_batches.c.id == batch_id)).mappings().first()
        if row is None:
            raise ImportRefused(f"Không có lần nhập số {batch_id}.", f"There is no import number {batch_id}.")
        if within is not None and not batch_orgs(conn, batch_id) <= _subtrees(conn, within):
            raise ImportRefused(f"Lần nhập số {batch_id} có số liệu của tổ chức ngoài phạm vi của bạn.",
                                f"Import {batch_id} holds figures of organizations outside your scope.")
        if row["status"] != COMMITTED:
            raise ImportRefused(f"Lần nhập số {batch_id} đã được hoàn tác trước đó.",
                                f"Import {batch_id} was already rolled back.")
        locked = conn.execute(select(periods.c.code).where(periods.c.code.in_(json.loads(row["periods"])),
                                                           periods.c.locked)).scalars().all()
        if locked:
            raise ImportRefused(f"Kỳ {', '.join(locked)} đã chốt số liệu; cần mở khóa trước khi hoàn tác.",
                                f"Period {', '.join(locked)} is locked; unlock it before rolling back.")
        removed_rows = conn.execute(delete(facts).where(facts.c.batch_id == batch_id)).rowcount
        created = conn.execute(select(organizations.c.id).where(
            organizations.c.created_batch_id == batch_id)).scalars().all()
        removed_orgs = _remove_unused(conn, list(created))
        conn.execute(update(import_batches).where(import_batches.c.id == batch_id).values(
            status="rolled_back", rolled_back_at=now(), rolled_back_by=actor))
        audit(conn, actor, "rollback", row["file_name"], {"batch_id": batch_id, "rows": removed_rows,
                                                           "removed_orgs": removed_orgs})
    return {"batch_id": batch_id, "rows": removed_rows, "removed_orgs": removed_orgs}


def batch_orgs(conn: Connection, batch_id: int) -> set[int]:
    """The organizations a batch wrote figures for or created."""
    rows = set(conn.execute(select(facts.c.org_id).where(facts.c.batch_id == batch_id).distinct()).scalars())
    return rows | set(conn.execute(select(organizations.c.id).where(
        organizations.c.created_batch_id == batch_id)).scalars())


def _subtrees(conn: Connection, tops: frozenset[int]) -> set[int]:
    reg = Registry.load(conn)
    return set().union(*(reg.subtree(t) for t in tops if t in reg.orgs))


def _remove_unused(conn: Connection, org_ids: list[int]) -> int:
    """Delete organizations no fact, child or lineage event refers to (children before parents).

    Set by set, a level of the tree per round: a national import creates 53.000 organizations, and asking
    about each one (four statements, a scan of the facts for each) took over 25 minutes to roll back.
    """
    removed = 0
    remaining = set(org_ids)
    while remaining:
        used: set[int] = set()
        for part in _chunks(sorted(remaining)):
            used |= set(conn.execute(select(facts.c.org_id).where(facts.c.org_id.in_(part)).distinct()).scalars())
            used |= set(conn.execute(select(organizations.c.parent_id).where(organizations.c.parent_id.in_(part))
                                     .distinct()).scalars())
            used |= set(conn.execute(select(lineage_links.c.org_id).where(lineage_links.c.org_id.in_(part))
                                     .distinct()).scalars())
        free = remaining - used
        if not free:
            break
        for part in _chunks(sorted(free)):
            conn.execute(delete(organizations).where(organizations.c.id.in_(part)))
        removed += len(free)
        remaining -= free
    return removed


def _chunks(ids: list[int], size: int = 5_000) -> Iterator[list[int]]:
    """Lists of at most ``size`` ids (a statement takes at most 32.766 parameters in SQLite)."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def set_lock(engine: Engine, period_code: str, locked: bool, actor: str) -> None:
    """Lock (chốt số liệu) or unlock a period."""
    from loaders.periods import parse_period_id

    period = parse_period_id(period_code)
    with db.write_transaction(engine) as conn:
        period_id = _ensure_period(conn, period)
        conn.execute(update(periods).where(periods.c.id == period_id).values(
            locked=locked, locked_by=actor if locked else None, locked_at=now() if locked else None))
        audit(conn, actor, "lock" if locked else "unlock", period.id, {})

