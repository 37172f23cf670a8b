"""The public entry point: a file (path or bytes) → ``LoadResult``."""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
from operator import attrgetter
from os import PathLike
from pathlib import Path

from loaders.catalogue import AUXILIARY, FIELDS, METRIC_IDS
from loaders.formats import read_workbook
from loaders.issues import make_issue
from loaders.layout import SheetResult, parse_sheet
from loaders.model import Issue, Limits, LoadResult, OrgRecord, Period, PeriodData, SheetInfo, UnreadableFileError
from loaders.periods import best_period, parse_period_id
from loaders.rules import check_balance_between, check_declared, check_records, consecutive, frame_of
from loaders.text import fold, normalize_name

Source = str | PathLike[str] | bytes | bytearray | memoryview


def load(
    source: Source,
    *,
    filename: str | None = None,
    period: str | Period | None = None,
    column_map: dict[str, str] | str | PathLike[str] | None = None,
    limits: Limits | None = None,
) -> LoadResult:
    """Read a spreadsheet into periods of per-organization records, with every issue found.

    Args:
        source: a path, or the file's bytes (then give ``filename`` too, for messages and the format).
        filename: the name to report; defaults to the path's name.
        period: a period id ("2023-Q1") or Period for sheets whose period the file does not name; with a
            single data sheet it overrides what the title says (with a ``period_mismatch`` warning).
        column_map: header text or column letter → metric id/field, for odd layouts; or a path to a
            JSON or CSV file holding that mapping.
        limits: bounds on size and shape (see ``Limits``).

    Raises:
        UnreadableFileError: the file cannot be read at all (one sentence in Vietnamese and English).
        ValueError: an invalid ``period`` id or column mapping (a usage error, not a file problem).
    """
    # Automatic garbage collection is paused while the file is read (and restored, if it was on, after).
    # Reading a national sheet makes ~1,8 M cells and ~100.000 records, lists and tuples, with no reference
    # cycles among them; each automatic full collection meanwhile walks every cell again (0,1–0,3 s in all).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(source, filename, period, column_map, limits)
    finally:
        if collecting:
            gc.enable()


def _load(source: Source, filename: str | None, period: str | Period | None,
          column_map: dict[str, str] | str | PathLike[str] | None, limits: Limits | None) -> LoadResult:
    limits = limits or Limits()
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = filename or "upload"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise UnreadableFileError(
                "file_not_found", f"Không mở được tệp {name}: {exc.strerror}.", f"Cannot open {name}: {exc.strerror}."
            ) from None
        if size > limits.max_file_bytes:
            raise UnreadableFileError(
                "file_too_large",
                f"Tệp {name} quá lớn ({size // 1_048_576} MB; tối đa {limits.max_file_bytes // 1_048_576} MB).",
                f"{name} is too large ({size // 1_048_576} MB; at most {limits.max_file_bytes // 1_048_576} MB).",
            )
        data = path.read_bytes()
    given = parse_period_id(period) if isinstance(period, str) else period
    mapping = load_column_map(column_map) if column_map is not None and not isinstance(column_map, dict) else column_map
    if mapping:
        _validate_mapping(mapping)

    workbook = read_workbook(data, name, limits)
    del data
    result = LoadResult(file=name, format=workbook.format)
    for sheet, cell, length in workbook.truncated:
        result.issues.append(make_issue("cell_too_long", sheet=sheet, cell=cell, length=length,
                                        limit=limits.max_cell_chars))

    sheets: list[SheetResult] = []
    for grid in workbook.sheets:
        sr = parse_sheet(grid, limits=limits, column_map=mapping)
        if not grid.visible:
            if sr.role == "data" and sr.records:
                result.issues.append(make_issue("hidden_sheet_skipped", sheet=grid.name))
            result.sheets.append(SheetInfo(grid.name, "hidden"))
            continue
        sheets.append(sr)
        result.sheets.append(SheetInfo(grid.name, sr.role, header_rows=sr.header_rows))  # type: ignore[arg-type]
        result.columns.extend(sr.columns)
        result.unmapped_columns.extend(c for c in sr.columns if c.target in (None, "note"))
        result.issues.extend(sr.issues)

    data_sheets = [s for s in sheets if s.role == "data"]
    if not data_sheets:
        result.issues.append(make_issue("no_data"))
        return result
    _assign_periods(data_sheets, sheets, given, result.issues)
    for info in result.sheets:
        sr = next((s for s in data_sheets if s.name == info.name), None)
        if sr is not None and sr.period is not None:
            info.period = sr.period.id

    # every sheet's own structure: group and total rows, duplicates
    for sr in data_sheets:
        if not sr.frame:
            sr.frame = frame_of(sr.records)
        check_declared(sr.declared, sr.records, sr.frame, result.issues)
        kept = _drop_duplicates(sr.records, result.issues)
        if len(kept) != len(sr.records):
            sr.records = [sr.records[i] for i in kept]
            sr.frame = {m: col[kept] for m, col in sr.frame.items()}

    # one entry per period, sheets of the same period merged organization by organization
    by_period: dict[str | None, PeriodData] = {}
    for sr in data_sheets:
        pid = sr.period.id if sr.period else None
        pdata = by_period.get(pid)
        if pdata is None:
            by_period[pid] = PeriodData(period=sr.period, sheets=[sr.name], records=list(sr.records),
                                        declared=list(sr.declared))
        else:
            pdata.sheets.append(sr.name)
            pdata.declared.extend(sr.declared)
            _merge_into(pdata, sr.records, result.issues)
    periods = sorted(by_period.values(), key=lambda p: (p.period is None, p.period.start if p.period else None,
                                                         p.period.end if p.period else None))
    frames = {sr.period.id if sr.period else None: sr.frame for sr in data_sheets}
    for pdata in periods:
        pid = pdata.period.id if pdata.period else None
        frame = frames[pid] if len(pdata.sheets) == 1 else frame_of(pdata.records)
        check_records(pdata.records, frame, result.issues)
    known = [p for p in periods if p.period]
    for prev, cur in itertools.pairwise(known):
        if consecutive(prev.period, cur.period):  # type: ignore[arg-type]
            check_balance_between(prev.records, cur.records, prev.period, result.issues)  # type: ignore[arg-type]
    result.periods = periods
    return result


def _assign_periods(data_sheets: list[SheetResult], sheets: list[SheetResult], given: Period | None,
                    issues: list[Issue]) -> None:
    """Period per sheet: its title, else its name, else the instructions sheet, else the one given."""
    instructions = [t for s in sheets if s.role in ("instructions", "unrecognized") for t in s.texts]
    workbook_period = best_period(instructions)
    for sr in data_sheets:
        found = best_period(sr.texts)
        source = "title"
        if found is None:
            found, source = best_period([sr.name]), "sheet_name"
        if found is None and workbook_period is not None:
            found, source = workbook_period, "instructions"
        if given is not None and (found is None or len(data_sheets) == 1):
            if found is not None and found.id != given.id:
                issues.append(make_issue("period_mismatch", sheet=sr.name, value=found.id, expected=given.id))
            found, source = given, "given"
        sr.period, sr.period_source = found, (source if found else None)
        if found is None:
            issues.append(make_issue("period_unknown", sheet=sr.name))


def _identity(rec: OrgRecord) -> tuple[str, str]:
    if rec.code:
        return ("code", rec.code.strip().upper())
    return ("name", normalize_name(rec.name) + "|" + normalize_name(rec.parent or ""))


_CODE = attrgetter("code")


def _drop_duplicates(records: list[OrgRecord], issues: list[Issue]) -> list[int]:
    """The second row of the same organization is reported and not counted; returns the indexes kept."""
    codes = list(map(_CODE, records))
    # the usual case: every organization has a code (its identity), no code twice
    if all(codes) and all(map(str.__instancecheck__, codes)) and \
            len(set(map(str.upper, map(str.strip, codes)))) == len(codes):
        return list(range(len(records)))
    idents = [_identity(rec) for rec in records]
    seen: dict[tuple[str, str], OrgRecord] = {}
    kept: list[int] = []
    for i, (rec, ident) in enumerate(zip(records, idents, strict=True)):
        first = seen.get(ident)
        if first is not None:
            issues.append(make_issue("duplicate_org", sheet=rec.sheet, cell=rec.name_cell, org=rec.key,
                                     first_cell=first.name_cell))
            continue
        seen[ident] = rec
        kept.append(i)
    return kept


def _merge_into(pdata: PeriodData, records: list[OrgRecord], issues: list[Issue]) -> None:
    """Add another sheet's records of the same period: same organization → metrics combined."""
    index = {_identity(r): r for r in pdata.records}
    by_name = {normalize_name(r.name): r for r in pdata.records}
    for rec in records:
        target = index.get(_identity(rec)) or by_name.get(normalize_name(rec.name))
        if target is None:
            pdata.records.append(rec)
            continue
        for metric, value in rec.metrics.items():
            if metric in target.metrics:
                if target.metrics[metric] != value:
                    issues.append(make_issue("conflicting_values", sheet=rec.sheet, cell=rec.cell(metric),
                                             org=rec.key, metric=metric, value=value,
                                             other_value=target.metrics[metric],
                                             other_cell=f"{target.sheet}!{target.cell(metric)}"))
                continue
            target.metrics[metric] = value
            target.other_cells[metric] = rec.source(metric)  # type: ignore[assignment]
        target.code = target.code or rec.code
        target.org_type = target.org_type or rec.org_type
        target.parent = target.parent or rec.parent
        for k, v in rec.ratios.items():
            target.ratios.setdefault(k, v)
        for k, v in rec.auxiliary.items():
            target.auxiliary.setdefault(k, v)


# --- column mapping files --------------------------------------------------------------------
_TARGETS = set(METRIC_IDS) | set(FIELDS) | set(AUXILIARY)
_MAPPING_HEADER_WORDS = {"metric", "metric id", "chi tieu", "ma chi tieu", "ma", "target", "cot", "muc tieu"}


def load_column_map(path: str | PathLike[str]) -> dict[str, str]:
    """A small mapping file: JSON ``{"header or column letter": "metric_id"}`` or a two-column CSV."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ValueError(f"Không đọc được tệp ánh xạ cột {p.name}: {exc.strerror} / cannot read {p.name}") from None
    text = raw.decode("utf-8-sig", errors="replace")
    mapping: dict[str, str] = {}
    if p.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Tệp ánh xạ cột {p.name} không phải JSON hợp lệ (dòng {exc.lineno}) / "
                             f"{p.name} is not valid JSON (line {exc.lineno})") from None
        if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in obj.items()):
            raise ValueError(f"Tệp ánh xạ cột {p.name} phải là một đối tượng JSON «tiêu đề»: «mã chỉ tiêu» / "
                             f"{p.name} must be a JSON object of \"header\": \"metric_id\"")
        mapping = dict(obj)
    else:
        dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
        for row in csv.reader(io.StringIO(text), dialect):
            cells = [c.strip() for c in row if c.strip()]
            if len(cells) < 2:
                continue
            key, target = cells[0], cells[1]
            if target not in _TARGETS and fold(target) in _MAPPING_HEADER_WORDS:
                continue  # the file's own header line ("tiêu đề, chỉ tiêu")
            mapping[key] = target
    return mapping


def _validate_mapping(mapping: dict[str, str]) -> None:
    bad = {k: v for k, v in mapping.items() if v not in _TARGETS}
    if bad:
        names = ", ".join(f"{k} → {v}" for k, v in bad.items())
        raise ValueError(f"Ánh xạ cột có mã chỉ tiêu không tồn tại: {names} / unknown metric ids in the column "
                         f"mapping: {names}")
