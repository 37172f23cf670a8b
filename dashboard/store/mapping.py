"""Applying a restructuring mapping sheet (old code → new code, date), such as the 1/7/2025 reorganization.

Rows that share a new code merge their old organizations into it; an old code with several new codes is
split among them; one old code to one new code is a rename (a new code, maybe a new name) or a merge into
an organization that already exists. "Mã cấp trên mới" moves the result under another parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from dashboard.store import registry as r
from loaders.formats import read_workbook
from loaders.text import clean, fold

_HEADERS = {
    "old": ("ma cu", "old code", "ma to chuc cu", "ma don vi cu", "ma truoc sap xep"),
    "new": ("ma moi", "new code", "ma to chuc moi", "ma don vi moi", "ma sau sap xep"),
    "name": ("ten moi", "new name", "ten to chuc moi", "ten don vi moi", "ten sau sap xep"),
    "parent": ("ma cap tren moi", "new parent", "ma cap tren", "cap tren moi"),
    "date": ("ngay hieu luc", "date", "ngay", "hieu luc tu ngay", "effective date"),
    "share": ("ty le", "share", "ty le chia"),
}


@dataclass
class MappingRow:
    old: str
    new: str
    name: str | None
    parent: str | None
    day: dt.date | None
    share: float | None
    line: int


def parse_day(text: object) -> dt.date:
    """A date as officials write it: 1/7/2025, 01/07/2025, 2025-07-01 (or a spreadsheet date)."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    s = clean(str(text))
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise r.RegistryError(f"Ngày không hợp lệ: «{s}» (ví dụ 1/7/2025) / invalid date “{s}” (e.g. 1/7/2025)")


def read_mapping(data: bytes, file_name: str) -> list[MappingRow]:
    """The mapping sheet's rows (the first sheet with a "Mã cũ" / "Mã mới" header)."""
    book = read_workbook(data, file_name)
    for sheet in book.sheets:
        for i, row in enumerate(sheet.rows[:30]):
            cols = {}
            for j, value in enumerate(row):
                f = fold(str(value)) if isinstance(value, str) else ""
                for key, names in _HEADERS.items():
                    if f in names and key not in cols:
                        cols[key] = j
            if "old" in cols and "new" in cols:
                return _rows(sheet.rows[i + 1:], cols, sheet.row0 + i + 2)
    raise r.RegistryError(f"{file_name}: không thấy cột «Mã cũ» và «Mã mới» / no “old code” and “new code” columns")


def _cell(row: list, j: int | None) -> object:
    if j is None or j >= len(row):
        return None
    v = row[j]
    return None if v is None or (isinstance(v, str) and not clean(v)) else v


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return clean(str(v)) or None


def _rows(rows: list[list], cols: dict[str, int], first_line: int) -> list[MappingRow]:
    out = []
    for k, row in enumerate(rows):
        old, new = _text(_cell(row, cols["old"])), _text(_cell(row, cols["new"]))
        if not old and not new:
            continue
        if not old or not new:
            raise r.RegistryError(f"Dòng {first_line + k}: cần cả mã cũ và mã mới / line {first_line + k}: both "
                                  f"codes are needed")
        day = _cell(row, cols.get("date"))
        share = _cell(row, cols.get("share"))
        out.append(MappingRow(old, new, _text(_cell(row, cols.get("name"))), _text(_cell(row, cols.get("parent"))),
                              parse_day(day) if day is not None else None,
                              float(str(share).replace(",", ".").rstrip("%")) if share is not None else None,
                              first_line + k))
    return out


def apply_mapping(conn: Connection, reg: r.Registry, rows: list[MappingRow], actor: str,
                  default_day: dt.date | None) -> list[str]:
    """Carry out the mapping; returns one line per change made (Vietnamese)."""
    done: list[str] = []
    by_new: dict[str, list[MappingRow]] = {}
    by_old: dict[str, list[MappingRow]] = {}
    for row in rows:
        by_new.setdefault(row.new, []).append(row)
        by_old.setdefault(row.old, []).append(row)

    def day_of(row: MappingRow) -> dt.date:
        day = row.day or default_day
        if day is None:
            raise r.RegistryError(f"Dòng {row.line}: thiếu ngày hiệu lực / line {row.line}: no effective date")
        return day

    def ensure(code: str, template: r.Org, row: MappingRow) -> r.Org:
        key = r.code_key(code)
        if key in reg.by_code:
            return reg.orgs[reg.by_code[key]]  # type: ignore[index]
        parent = reg.find(row.parent) if row.parent else (reg.orgs.get(template.parent_id)
                                                          if template.parent_id else None)
        return r.create_org(conn, reg, name=row.name or template.name, code=code, org_type=template.org_type,
                            parent_id=parent.id if parent else None, valid_from=day_of(row), actor=actor)

    handled: set[int] = set()
    for old_code, olds in by_old.items():
        if len(olds) > 1:  # one old organization, several new ones: a split
            source = reg.find(old_code)
            targets = [(ensure(row.new, source, row), row.share) for row in olds]
            r.split(conn, reg, source, targets, day_of(olds[0]), actor)
            done.append(f"Chia tách {source.label} → {', '.join(t.label for t, _ in targets)}")
            handled.update(row.line for row in olds)
    for new_code, news in by_new.items():
        news = [row for row in news if row.line not in handled]
        if not news:
            continue
        sources = [reg.find(row.old) for row in news]
        row = news[0]
        key = r.code_key(new_code)
        if len(sources) == 1 and (key == r.code_key(sources[0].code) or key not in reg.by_code):
            org = sources[0]
            if key != r.code_key(org.code) or (row.name and row.name != org.name):
                r.rename(conn, reg, org, row.name or org.name, day_of(row), actor, new_code=new_code)
                done.append(f"Đổi tên/mã {org.label}")
            if row.parent:
                parent = reg.find(row.parent)
                if parent.id != org.parent_id:
                    r.move(conn, reg, org, parent, day_of(row), actor)
                    done.append(f"Chuyển {org.label} về {parent.label}")
            continue
        target = ensure(new_code, sources[0], row)
        merging = [s for s in sources if s.id != target.id]
        if merging:
            r.merge(conn, reg, merging, target, day_of(row), actor)
            done.append(f"Sáp nhập {', '.join(s.label for s in merging)} → {target.label}")
    return done
