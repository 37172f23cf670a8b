"""The loader's data shapes: what a read file becomes.

Everything here is plain data (dataclasses), so the store, the dashboard and the CLI can consume a
``LoadResult`` without knowing how the file was laid out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

Severity = Literal["error", "warning"]
Lang = Literal["vi", "en"]


class UnreadableFileError(Exception):
    """The file cannot be read at all (not a spreadsheet, corrupt, encrypted, too large, unsafe).

    Carries one sentence in each language; ``str()`` gives the Vietnamese one.
    """

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en

    def message(self, lang: Lang = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


@dataclass(frozen=True)
class Limits:
    """Bounds on what a file may make the reader do. Defaults suit a national-scale workbook."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_zip_entries: int = 10_000
    max_inflated_bytes: int = 512 * 1024 * 1024  # all parts together, as inflated
    max_part_bytes: int = 400 * 1024 * 1024  # one part of the package, as inflated
    max_ratio: float = 200.0  # inflated / compressed, for parts larger than ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024
    max_sheets: int = 200
    max_rows: int = 250_000
    max_cols: int = 1_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_grid_cells: int = 10_000_000  # rows × columns calamine would allocate for one sheet
    max_sheet_text_bytes: int = 256 * 1024 * 1024  # text calamine would copy into one sheet's cells
    max_text_bytes: int = 64 * 1024 * 1024  # CSV/TXT after decoding


@dataclass
class SheetGrid:
    """One sheet as a rectangle of raw values, anchored at (row0, col0) (0-based).

    An empty cell is None or "" (calamine's own empty value, kept to spare a pass over every cell).
    """

    name: str
    rows: list[list[Any]]
    row0: int = 0
    col0: int = 0
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None = None  # absolute, inclusive
    visible: bool = True

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max(map(len, self.rows), default=0)


@dataclass
class Workbook:
    """A spreadsheet file reduced to its sheets' values."""

    file: str
    format: str  # xlsx, xlsm, xls, xlsb, ods, csv, txt
    sheets: list[SheetGrid]
    # cells whose text was cut at Limits.max_cell_chars: (sheet, A1 cell, original length)
    truncated: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """A reporting period. ``id`` follows domain.md: 2024, 2024-H1, 2024-Q3, 2024-07, 2024-9M, 2019-06-30."""

    id: str
    kind: str  # year, half, quarter, month, nine_months, cutoff, term, term_to_date
    start: dt.date
    end: dt.date
    label: str  # Vietnamese label, e.g. "Quý I/2023"
    label_en: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "label_en": self.label_en,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass
class Issue:
    """Something wrong in the file, found while loading. Problems are data, not exceptions."""

    severity: Severity
    code: str
    message_vi: str
    message_en: str
    sheet: str | None = None
    cell: str | None = None  # A1 form: the cell of the offending value
    org: str | None = None  # code if present, else the name
    metric: str | None = None
    value: Any = None

    def message(self, lang: Lang = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi

    def as_dict(self, lang: Lang = "vi") -> dict[str, Any]:
        value = self.value
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        return {
            "severity": self.severity,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "org": self.org,
            "metric": self.metric,
            "value": value,
            "message": self.message(lang),
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


class SheetFigures:
    """One sheet's figures a column at a time: what its records' ``metrics`` and ``auxiliary`` are built from.

    ``frame`` maps each metric column of the sheet (auxiliary ones included) to a read-only int64 array
    aligned with the sheet's organization rows, -1 where a row has no value. A record read from the sheet
    holds ``(figures, index)`` in place of its two dicts until one of them is first used: building 52.000
    dicts nobody reads costs more than checking the whole sheet. Once built, a record's dicts are its own
    plain dicts (free to change); the columns never change.
    """

    __slots__ = ("_lists", "aux_names", "frame", "metric_names")

    def __init__(self) -> None:
        self.frame: dict[str, np.ndarray] = {}
        self.metric_names: list[str] = []  # in column order, auxiliary columns excluded
        self.aux_names: list[str] = []  # auxiliary columns (members_opening), in column order
        self._lists: tuple[list[list[int]], list[list[int]]] | None = None

    def fill(self, frame: dict[str, np.ndarray], auxiliary: Container[str]) -> None:
        for col in frame.values():
            col.flags.writeable = False
        self.frame = frame
        self.metric_names = [m for m in frame if m not in auxiliary]
        self.aux_names = [m for m in frame if m in auxiliary]
        self._lists = None

    def _columns(self) -> tuple[list[list[int]], list[list[int]]]:
        if self._lists is None:
            self._lists = ([self.frame[m].tolist() for m in self.metric_names],
                           [self.frame[m].tolist() for m in self.aux_names])
        return self._lists

    def metrics_of(self, index: int) -> dict[str, int]:
        return {m: v for m, col in zip(self.metric_names, self._columns()[0], strict=True) if (v := col[index]) >= 0}

    def auxiliary_of(self, index: int) -> dict[str, int]:
        if not self.aux_names:
            return {}
        return {m: v for m, col in zip(self.aux_names, self._columns()[1], strict=True) if (v := col[index]) >= 0}


@dataclass(slots=True)
class OrgRecord:
    """One organization's figures for one period, with where every value came from."""

    name: str
    sheet: str
    row: int  # 1-based row of the organization in its sheet
    code: str | None = None
    parent: str | None = None
    org_type: str | None = None
    group: str | None = None  # the group heading the row stood under, as written
    # metrics and auxiliary are plain dicts to every reader; until first read they are built from the sheet's
    # columns (see SheetFigures and the properties installed below the class)
    metrics: dict[str, int] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)  # derived columns, as written (0..1)
    auxiliary: dict[str, int] = field(default_factory=dict)  # e.g. members_opening
    # metric (and "name") -> column letter on ``sheet``: shared by all records of a sheet, so 52.000 rows stay cheap
    columns: dict[str, str] = field(default_factory=dict, repr=False)
    # metric -> (sheet, A1 cell) for values merged in from another sheet of the same period
    other_cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.code or self.name

    @property
    def name_cell(self) -> str | None:
        col = self.columns.get("name")
        return f"{col}{self.row}" if col else None

    @property
    def cells(self) -> dict[str, str]:
        """metric → the A1 cell its value came from (``Sheet!A1`` when it came from another sheet)."""
        out = {m: f"{self.columns[m]}{self.row}" for m in self.metrics if m in self.columns}
        out.update({m: f"{sh}!{c}" for m, (sh, c) in self.other_cells.items() if m in self.metrics})
        return out

    def source(self, metric: str) -> tuple[str, str | None]:
        """(sheet, A1 cell) of a metric's value (or of an auxiliary column such as members_opening)."""
        if metric in self.other_cells:
            return self.other_cells[metric]
        col = self.columns.get(metric)
        return self.sheet, (f"{col}{self.row}" if col else None)

    def cell(self, metric: str) -> str | None:
        return self.source(metric)[1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "parent": self.parent,
            "org_type": self.org_type,
            "group": self.group,
            "sheet": self.sheet,
            "row": self.row,
            "metrics": dict(self.metrics),
            "cells": self.cells,
            "ratios": dict(self.ratios),
            "auxiliary": dict(self.auxiliary),
        }


# ``metrics`` and ``auxiliary`` are slots holding either the record's dict or ``(SheetFigures, index)``; these
# properties build the dict on first use (and keep it), so every reader and writer sees a plain dict.
_METRICS_SLOT = OrgRecord.__dict__["metrics"]
_AUXILIARY_SLOT = OrgRecord.__dict__["auxiliary"]


def _lazy_dict(slot: Any, build: Any, doc: str) -> property:
    def get(self: OrgRecord) -> dict[str, int]:
        value = slot.__get__(self, OrgRecord)
        if type(value) is tuple:
            built = build(*value)
            value = slot.__get__(self, OrgRecord)
            if type(value) is tuple:  # (not built meanwhile by another thread)
                slot.__set__(self, built)
                value = built
        return value

    return property(get, slot.__set__, doc=doc)  # setting is the slot's own (C) setter: records are built fast


OrgRecord.metrics = _lazy_dict(  # type: ignore[assignment]
    _METRICS_SLOT, SheetFigures.metrics_of, "metric id → value (a plain dict, built on first use)")
OrgRecord.auxiliary = _lazy_dict(  # type: ignore[assignment]
    _AUXILIARY_SLOT, SheetFigures.auxiliary_of, "auxiliary column → value, e.g. members_opening")


def unread_figures(rec: OrgRecord, auxiliary: bool = False) -> tuple[SheetFigures, int] | None:
    """``(figures, index)`` while a record's metrics (or auxiliary values) are still its sheet's columns."""
    value = (_AUXILIARY_SLOT if auxiliary else _METRICS_SLOT).__get__(rec, OrgRecord)
    return value if type(value) is tuple else None


def _metric_sums(records: list[OrgRecord]) -> dict[str, int]:
    """Σ of each metric over ``records``; keys in the order a walk over the records' ``metrics`` meets them.

    Records whose metrics were never read are summed from their sheet's columns, without building dicts.
    """
    import numpy as np

    sums: dict[str, int] = {}
    first: dict[str, tuple[int, int]] = {}  # metric → (record position, place in that record's dict)
    unread: dict[int, tuple[SheetFigures, list[int], list[int]]] = {}
    for pos, rec in enumerate(records):
        value = _METRICS_SLOT.__get__(rec, OrgRecord)
        if type(value) is tuple:
            figures, index = value
            group = unread.get(id(figures))
            if group is None:
                group = unread[id(figures)] = (figures, [], [])
            group[1].append(pos)
            group[2].append(index)
            continue
        for k, (metric, v) in enumerate(value.items()):
            sums[metric] = sums.get(metric, 0) + v
            if metric not in first:
                first[metric] = (pos, k)
    for figures, positions, indexes in unread.values():
        idx = np.asarray(indexes, dtype=np.int64)
        for k, metric in enumerate(figures.metric_names):
            col = figures.frame[metric][idx]
            present = col >= 0
            if not present.any():
                continue
            values = col[present]
            if int(values.max()) < (1 << 62) // len(values):
                total = int(values.sum())
            else:  # beyond int64: add as Python ints, like the dicts would
                total = sum(values.tolist())
            sums[metric] = sums.get(metric, 0) + total
            key = (positions[int(np.argmax(present))], k)
            if metric not in first or key < first[metric]:
                first[metric] = key
    return {m: sums[m] for m in sorted(first, key=first.__getitem__)}


@dataclass
class DeclaredRow:
    """A group or total row: figures the file declares, checked against the organizations under them."""

    kind: Literal["group", "total"]
    label: str
    sheet: str
    row: int
    org_type: str | None = None
    level: int = 0
    metrics: dict[str, int] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    members: list[int] = field(default_factory=list)  # indexes into PeriodData.records


@dataclass
class ColumnInfo:
    sheet: str
    column: str  # letter
    header: str  # the header path as written, " / " between levels
    target: str | None  # metric id, or a field (name, code, stt, org_type, parent, note), or None

    def as_dict(self) -> dict[str, str | None]:
        return {"sheet": self.sheet, "column": self.column, "header": self.header, "target": self.target}


@dataclass
class PeriodData:
    """Everything the file says about one period (one sheet, or several sheets of the same period)."""

    period: Period | None
    sheets: list[str]
    records: list[OrgRecord] = field(default_factory=list)
    declared: list[DeclaredRow] = field(default_factory=list)

    @property
    def top_records(self) -> list[OrgRecord]:
        """Organizations that are not children of another organization in the same file."""
        keys = {r.key for r in self.records} | {r.name for r in self.records}
        return [r for r in self.records if not r.parent or r.parent not in keys]

    def metrics_present(self) -> list[str]:
        from loaders.catalogue import METRIC_IDS

        seen = _metric_sums(self.records)
        return [m for m in METRIC_IDS if m in seen]

    def totals(self) -> dict[str, int]:
        """Sum of each metric present over the organizations (never group or total rows)."""
        from loaders.catalogue import METRIC_IDS

        out = _metric_sums(self.top_records)
        return {m: out[m] for m in METRIC_IDS if m in out}

    def by_org_type(self) -> dict[str, dict[str, int]]:
        """Per organization type: how many organizations, and the sum of each metric."""
        buckets: dict[str, list[OrgRecord]] = {}
        for rec in self.top_records:
            buckets.setdefault(rec.org_type or "unknown", []).append(rec)
        return {t: {"organizations": len(recs), **_metric_sums(recs)} for t, recs in buckets.items()}


@dataclass
class SheetInfo:
    name: str
    role: Literal["data", "instructions", "empty", "unrecognized", "hidden"]
    period: str | None = None
    header_rows: list[int] = field(default_factory=list)  # 1-based


@dataclass
class LoadResult:
    file: str
    format: str
    periods: list[PeriodData] = field(default_factory=list)
    unmapped_columns: list[ColumnInfo] = field(default_factory=list)
    columns: list[ColumnInfo] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    sheets: list[SheetInfo] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    def period(self, period_id: str) -> PeriodData | None:
        return next((p for p in self.periods if p.period and p.period.id == period_id), None)

    def to_json_dict(self, lang: Lang = "vi", *, records: bool = False) -> dict[str, Any]:
        periods = []
        for pdata in self.periods:
            entry: dict[str, Any] = {
                "period": pdata.period.as_dict() if pdata.period else None,
                "sheet": pdata.sheets[0] if pdata.sheets else None,
                "sheets": list(pdata.sheets),
                "organizations": len(pdata.top_records),
                "records": len(pdata.records),
                "totals": pdata.totals(),
                "by_org_type": pdata.by_org_type(),
            }
            if records:
                entry["organization_records"] = [r.as_dict() for r in pdata.records]
            periods.append(entry)
        return {
            "file": self.file,
            "format": self.format,
            "periods": periods,
            "sheets": [
                {"name": s.name, "role": s.role, "period": s.period, "header_rows": s.header_rows}
                for s in self.sheets
            ],
            "columns": [c.as_dict() for c in self.columns],
            "unmapped_columns": [
                {"sheet": c.sheet, "column": c.column, "header": c.header} for c in self.unmapped_columns
            ],
            "issues": [i.as_dict(lang) for i in self.issues],
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
            },
        }
