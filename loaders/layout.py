"""Layout detection: one sheet of raw values → organizations, group rows and total rows.

No configuration: the title block, one to three merged header rows, the column-number row, group
rows (roman numerals, letters or a type name), total rows at the top or the bottom, STT restarting
per group, notes and blank columns, and the signature block are all recognized from the cells.
"""

from __future__ import annotations

import itertools
import marshal
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from loaders.catalogue import (
    AUXILIARY,
    METRIC_IDS,
    ORG_TYPES,
    match_header,
    match_org_type,
    org_type_from_name,
    ratio_spec,
)
from loaders.issues import make_issue
from loaders.model import ColumnInfo, DeclaredRow, Issue, Limits, OrgRecord, Period, SheetFigures, SheetGrid
from loaders.numbers import parse_count, parse_flag, parse_ratio
from loaders.text import a1, clean, clean_all, col_letter, fold

HEADER_SCAN_ROWS = 60
_METRICS = frozenset(METRIC_IDS) | frozenset(AUXILIARY)
_ROMAN = re.compile(r"^(?=[ivxlc]+$)(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_MARKER = re.compile(r"^\s*([A-Za-zĐđ]{1,6})\s*[.)/:-]?\s*(.*)$", re.S)
_HIER_STT = re.compile(r"^(\d+)(?:\.(\d+))+\.?$")
_NUM_STT = re.compile(r"^\d+\.?$")
_CHILD_STT = re.compile(r"^([a-zđ]|[-+*•])[.)]?$")  # a) b) or bullets: sub-units of the numbered row above
_TOTAL_EXACT = {
    "tong cong", "cong", "tong so", "tong", "toan dang bo", "toan khoi", "toan tinh", "cong toan dang bo",
    "tong cong toan dang bo", "tong so toan dang bo", "toan don vi", "tong cong chung", "cong chung",
    "toan quoc", "ca nuoc", "tong hop chung", "tong hop", "toan dang", "toan nganh", "toan huyen",
    "tong toan dang bo", "tong cong toan khoi", "cong ( toan dang bo )", "tong cong ( toan dang bo )",
}
_TOTAL_PREFIX = ("toan dang bo ", "tong cong (", "cong (", "tong cong toan ", "cong toan ", "toan khoi ", "toan tinh ")
_FOOTER_EXACT = {
    "nguoi lap bieu", "nguoi lap", "truong ban", "pho truong ban", "bi thu", "pho bi thu", "thu truong don vi",
    "noi nhan", "noi nhan :", "xac nhan cua cap uy", "nguoi tong hop", "lanh dao duyet", "ky ten dong dau",
}
_FOOTER_PREFIX = ("t / m", "tm ", "kt ", "noi nhan", "ghi chu", "luu ", "nguoi lap bieu", "xac nhan cua")
_ORG_WORDS = ("dang bo", "chi bo", "to chuc", "cong ty", "truong", "benh vien", "so ", "ban ", "trung tam")
_INSTRUCTION_SHEETS = ("huong dan", "ghi chu", "danh muc", "instruction", "readme", "thong tin chung", "gioi thieu")
_DASH_CELLS = {"-", "–", "—"}


@dataclass
class SheetResult:
    """What one sheet contributes: its period, its rows, its columns and its issues."""

    name: str
    role: str  # data, instructions, empty, unrecognized, hidden
    period: Period | None = None
    period_source: str | None = None  # title, sheet_name
    texts: list[str] = field(default_factory=list)  # title-block text, for a workbook-level period
    header_rows: list[int] = field(default_factory=list)  # 1-based
    records: list[OrgRecord] = field(default_factory=list)
    declared: list[DeclaredRow] = field(default_factory=list)
    columns: list[ColumnInfo] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # metric → int64 array aligned with ``records`` (-1: no value); what the rules check, column-wise
    frame: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Grid:
    """Fast access to a sheet's values by absolute 0-based position."""

    g: SheetGrid
    width: int = 0

    def __post_init__(self) -> None:
        self.width = self.g.width

    def get(self, r: int, c: int) -> Any:
        rr = r - self.g.row0
        cc = c - self.g.col0
        if rr < 0 or cc < 0 or rr >= len(self.g.rows):
            return None
        row = self.g.rows[rr]
        return row[cc] if cc < len(row) else None

    def text(self, r: int, c: int) -> str:
        v = self.get(r, c)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return clean(v) if isinstance(v, str) else str(v)

    @property
    def r_end(self) -> int:
        return self.g.row0 + len(self.g.rows)

    @property
    def c_end(self) -> int:
        return self.g.col0 + self.width


def _is_roman(s: str) -> bool:
    return bool(s) and bool(_ROMAN.match(s.lower()))


def _is_total_label(folded: str) -> bool:
    f = folded.rstrip(" :.")
    if f in _TOTAL_EXACT:
        return True
    return f.startswith(_TOTAL_PREFIX) and not f.startswith("tong cong ty")


def _is_footer(folded: str) -> bool:
    return folded in _FOOTER_EXACT or folded.startswith(_FOOTER_PREFIX)


def _subject(texts: list[str]) -> str:
    joined = fold(" ".join(texts))
    if "dang vien" in joined:
        return "dang vien"
    if "cap uy" in joined:
        return "cap uy vien"
    return ""


def _merge_map(grid: SheetGrid) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """(r, c) of every merged cell → (top, left, bottom, right) of its range, for the header area."""
    out: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for (r1, c1), (r2, c2) in grid.merged or []:
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 5_000:  # a whole-sheet merge says nothing about headers
            continue
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                out[(r, c)] = (r1, c1, r2, c2)
    return out


def _single_target(text: str) -> str | None:
    return match_header((text,)) if text else None


def _find_header(g: _Grid) -> int | None:
    """The first header row: a row of several cells naming the organization column or STT."""
    r_stop = min(g.r_end, g.g.row0 + HEADER_SCAN_ROWS)
    for r in range(g.g.row0, r_stop):
        texts = [g.text(r, c) for c in range(g.g.col0, g.c_end)]
        nonempty = [t for t in texts if t]
        if len(nonempty) < 2:
            continue
        targets = [_single_target(t) for t in nonempty if not t.replace(".", "").isdigit()]
        if "name" not in targets and "stt" not in targets:
            continue
        # a metric must be named in this row or in the two below (children of merged parents)
        window = targets + [
            _single_target(g.text(rr, c)) for rr in (r + 1, r + 2) for c in range(g.g.col0, g.c_end)
        ]
        if any(t in _METRICS or (t or "").startswith("ratio:") for t in window) or len(nonempty) >= 4:
            return r
    return None


def _is_column_number_row(g: _Grid, r: int) -> bool:
    from loaders.catalogue import is_column_number_text

    cells = [g.get(r, c) for c in range(g.g.col0, g.c_end)]
    values = [v for v in cells if v is not None and not (isinstance(v, str) and not clean(v))]
    if len(values) < 3:
        return False
    numbers: list[int] = []
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if not float(v).is_integer():
                return False
            numbers.append(int(v))
        elif isinstance(v, str) and is_column_number_text(v):
            m = re.match(r"\D*(\d+)", v)
            if m:
                numbers.append(int(m.group(1)))
        else:
            return False
    # column numbers run upward: 1 2 3 … (letters A B C may stand in the first columns)
    return len(numbers) >= 2 and all(b > a for a, b in itertools.pairwise(numbers))


def _header_depth(g: _Grid, top: int, merges: dict, key_cols: list[int]) -> int:
    """How many rows the header spans: the vertical merge of STT/name, or the rows that look like headers."""
    for c in key_cols:
        rng = merges.get((top, c))
        if rng and rng[0] == top and rng[2] > top:
            return min(rng[2] - top + 1, 4)
    depth = 1
    name_col = key_cols[-1] if key_cols else None
    for r in range(top + 1, min(top + 4, g.r_end)):
        if _is_column_number_row(g, r):
            break
        cells = [g.get(r, c) for c in range(g.g.col0, g.c_end)]
        nonempty = [v for v in cells if v is not None and not (isinstance(v, str) and not clean(v))]
        if not nonempty or any(not isinstance(v, str) for v in nonempty):
            break
        if name_col is not None and g.text(r, name_col):
            break
        if any(_is_total_label(fold(clean(v))) for v in nonempty):
            break
        if sum(1 for v in nonempty if clean(v) in _DASH_CELLS) > len(nonempty) / 2:
            break
        depth += 1
    return depth


def _header_paths(g: _Grid, rows: list[int], merges: dict) -> dict[int, list[str]]:
    """Column → header texts top to bottom, a merged parent repeated over each of its children."""
    paths: dict[int, list[str]] = {}
    texts = {(r, c): g.text(r, c) for r in rows for c in range(g.g.col0, g.c_end)}
    use_merges = bool(merges)
    for r_i, r in enumerate(rows):
        carry = ""
        for c in range(g.g.col0, g.c_end):
            t = texts[(r, c)]
            rng = merges.get((r, c))
            if rng is not None:
                t = g.text(rng[0], rng[1])
            elif not use_merges and not t and r_i < len(rows) - 1:
                # no merge information (ODS, CSV): a parent spans the empty cells to its right
                # as long as the rows below have children there
                below = any(texts[(rr, c)] for rr in rows[r_i + 1:])
                t = carry if below else ""
            if texts[(r, c)]:
                carry = texts[(r, c)]
            elif rng is None and not t:
                carry = ""
            if t:
                paths.setdefault(c, []).append(t)
    return paths


def _letter(c: int) -> str:
    return col_letter(c)


def _mapping_target(column_map: dict[str, str] | None, letter: str, path: list[str]) -> str | None:
    if not column_map:
        return None
    if letter in column_map:
        return column_map[letter]
    leaf = fold(path[-1]) if path else ""
    joined = fold(" ".join(path))
    for key, target in column_map.items():
        fk = fold(key)
        if fk and fk in (leaf, joined):
            return target
    return None


def parse_sheet(
    grid: SheetGrid,
    *,
    limits: Limits,
    column_map: dict[str, str] | None = None,
) -> SheetResult:
    """Read one sheet. Never raises on bad content: problems become issues."""
    res = SheetResult(name=grid.name, role="data")
    g = _Grid(grid)
    if not grid.rows or not any(any(v is not None and v != "" for v in row) for row in grid.rows):
        res.role = "empty"
        return res
    if len(grid.rows) > limits.max_rows:
        res.issues.append(make_issue("too_many_rows", sheet=grid.name, value=len(grid.rows), limit=limits.max_rows))
        grid.rows = grid.rows[: limits.max_rows]
    if grid.width > limits.max_cols:
        res.issues.append(make_issue("too_many_columns", sheet=grid.name, value=grid.width, limit=limits.max_cols))
        grid.rows = [row[: limits.max_cols] for row in grid.rows]

    top = _find_header(g)
    # text above the header is the title block; for a sheet without a table, all of its text
    title_end = top if top is not None else min(g.r_end, g.g.row0 + HEADER_SCAN_ROWS)
    for r in range(g.g.row0, title_end):
        line = " ".join(t for t in (g.text(r, c) for c in range(g.g.col0, g.c_end)) if t)
        if line:
            res.texts.append(line)
    if top is None:
        name_f = fold(grid.name)
        res.role = "instructions" if any(w in name_f for w in _INSTRUCTION_SHEETS) or res.texts else "unrecognized"
        return res

    merges = _merge_map(grid)
    first_targets = {c: _single_target(g.text(top, c)) for c in range(g.g.col0, g.c_end)}
    key_cols = [c for c, t in first_targets.items() if t in ("stt", "name")]
    depth = _header_depth(g, top, merges, key_cols)
    header_rows = list(range(top, top + depth))
    res.header_rows = [r + 1 for r in header_rows]
    paths = _header_paths(g, header_rows, merges)
    subject = _subject(res.texts)

    # --- columns -------------------------------------------------------------------------------
    targets: dict[int, str] = {}
    seen: dict[str, int] = {}
    for c in range(g.g.col0, g.c_end):
        path = paths.get(c, [])
        letter = _letter(c)
        target = _mapping_target(column_map, letter, path)
        if target is None and path:
            target = match_header(tuple(path), subject)
        header = " / ".join(dict.fromkeys(path))
        if target in seen and target != "note":
            other = _letter(seen[target])
            res.issues.append(make_issue(
                "duplicate_metric_column", sheet=grid.name, cell=f"{letter}{top + 1}", metric=target,
                column=letter, header=header, other_column=other,
            ))
            res.columns.append(ColumnInfo(grid.name, letter, header, None))
            continue
        if target is None:
            has_values = any(g.get(r, c) not in (None, "") for r in range(top + depth, min(g.r_end, top + depth + 200)))
            if path or has_values:
                res.columns.append(ColumnInfo(grid.name, letter, header, None))
            continue
        seen[target] = c
        targets[c] = target
        res.columns.append(ColumnInfo(grid.name, letter, header, target))
    if column_map:
        for key in column_map:
            if len(key) <= 3 and key.isalpha() and key.isupper():
                continue
            if not any(fold(key) in (fold(p[-1]), fold(" ".join(p))) for p in paths.values() if p):
                res.issues.append(make_issue("mapping_column_missing", sheet=grid.name, value=key))

    col_of = {t: c for c, t in targets.items()}
    metric_cols = [(c, t) for c, t in targets.items() if t in _METRICS]
    ratio_cols = [(c, t) for c, t in targets.items() if t.startswith("ratio:")]
    if not metric_cols:
        res.role = "unrecognized"
        res.issues.append(make_issue("no_metric_columns", sheet=grid.name, cell=a1(top, g.g.col0)))
        return res
    name_col = col_of.get("name")
    stt_col = col_of.get("stt")
    if name_col is None:
        # no recognizable name header: the first text column left of the metrics that is not STT
        first_metric = min(c for c, _ in metric_cols)
        candidates = [c for c in range(g.g.col0, first_metric) if c not in targets or targets[c] in ("note",)]
        name_col = candidates[-1] if candidates else None
        if name_col is None:
            res.role = "unrecognized"
            res.issues.append(make_issue("no_metric_columns", sheet=grid.name, cell=a1(top, g.g.col0)))
            return res

    # --- rows ----------------------------------------------------------------------------------
    data_start = top + depth
    while data_start < g.r_end and _is_column_number_row(g, data_start):
        data_start += 1
    _read_rows(g, res, data_start, name_col, stt_col, col_of, metric_cols, ratio_cols)
    return res


def _group_marker(stt: str, name: str) -> tuple[str, str] | None:
    """("I", "Cơ quan hành chính") for a group row; None for anything else."""
    s = stt.strip().rstrip(".)")
    if s and s.isupper() and (_is_roman(s) or (len(s) == 1 and s.isalpha())):
        return s, name
    if not stt and name:
        m = _MARKER.match(name)
        mark = m.group(1) if m else ""
        if (m and m.group(2) and mark.isupper() and (_is_roman(mark) or len(mark) == 1)
                and name[len(mark)] in ".)/:-"):
            return mark, clean(m.group(2))
    return None


class _GroupLevels:
    """Letters A, B, C … are the outer level; roman numerals I, II … are inside them when letters are used."""

    def __init__(self) -> None:
        self.letters = False
        self.last_letter = ""

    def level(self, mark: str) -> int:
        if not mark:
            return 1 if self.letters else 0
        in_sequence = len(mark) == 1 and (
            mark == "A" or (self.last_letter and ord(mark) == ord(self.last_letter) + 1)
        )
        if in_sequence or (len(mark) == 1 and not _is_roman(mark)):
            self.letters = True
            self.last_letter = mark
            return 0
        return 1 if self.letters else 0


def _read_rows(
    g: _Grid,
    res: SheetResult,
    data_start: int,
    name_col: int,
    stt_col: int | None,
    col_of: dict[str, int],
    metric_cols: list[tuple[int, str]],
    ratio_cols: list[tuple[int, str]],
) -> None:
    sheet = g.g.name
    code_col = col_of.get("code")
    type_col = col_of.get("org_type")
    parent_col = col_of.get("parent")
    letters = {t: _letter(c) for c, t in metric_cols}
    issues = res.issues
    rows = g.g.rows
    row0, col0 = g.g.row0, g.g.col0
    rel_metric = [(c - col0, t, letters[t], t == "secretary_is_head") for c, t in metric_cols]
    rel_ratio = [(c - col0, t) for c, t in ratio_cols]
    rel_name = name_col - col0
    rel_stt = None if stt_col is None else stt_col - col0
    rel_code = None if code_col is None else code_col - col0
    rel_type = None if type_col is None else type_col - col0
    rel_parent = None if parent_col is None else parent_col - col0

    # open groups, outermost first, with len(records) when each opened: a group's members are the
    # organizations read while it is open, a range of indexes filled in when it closes
    group_stack: list[DeclaredRow] = []
    group_starts: list[int] = []
    group_label: str | None = None  # the innermost open group's label
    group_type: str | None = None  # the innermost type named by an open group
    levels = _GroupLevels()
    top_by_stt: dict[int, OrgRecord] = {}
    last_top: OrgRecord | None = None
    records = res.records
    figures = SheetFigures()  # the organizations' figures, filled column by column once all rows are read
    org_rows: list[list] = []  # each organization's row, aligned with ``records``

    def cell_of(rel_r: int, rel_c: int) -> str:
        return f"{col_letter(rel_c + col0)}{rel_r + row0 + 1}"

    def read_values(rr: int, row: list, org_label: str | None, *, summed: bool = False,
                    ) -> tuple[dict[str, int], dict[str, float]]:
        """Parse a row's metric cells; ``summed`` rows (groups, totals) hold counts even in yes/no columns."""
        values: dict[str, int] = {}
        for rc, metric, letter, flag in rel_metric:
            v = row[rc]
            if v is None or v == "":
                continue
            # the common case first, inline: a whole non-negative number (1 at most in a yes/no column)
            tv = type(v)
            if tv is float:
                if v >= 0 and v.is_integer() and (v <= 1 or not flag or summed):
                    values[metric] = int(v)
                    continue
            elif tv is int and v >= 0 and (v <= 1 or not flag or summed):
                values[metric] = v
                continue
            n, problem = parse_flag(v) if flag and not summed else parse_count(v)
            if problem is not None:
                code, ctx = problem
                issues.append(make_issue(code, sheet=sheet, cell=f"{letter}{rr + row0 + 1}", org=org_label,
                                         metric=metric, value=v, **ctx))
            elif n is not None:
                values[metric] = n
        if not rel_ratio:
            return values, {}
        return read_ratios(rr, row, org_label, values)

    def read_ratios(rr: int, row: list, org_label: str | None, values: dict[str, int],
                    ) -> tuple[dict[str, int], dict[str, float]]:
        """Ratio columns: the fraction, and the counts themselves when written as "80/105"."""
        ratios: dict[str, float] = {}
        for rc, target in rel_ratio:
            v = row[rc]
            if v is None or v == "":
                continue
            frac, parts, problem = parse_ratio(v)
            if problem is not None:
                issues.append(make_issue(problem[0], sheet=sheet, cell=cell_of(rr, rc), org=org_label, value=v))
                continue
            spec = ratio_spec(target)
            if frac is not None and spec is not None:
                ratios[f"{spec[0]}/{spec[1]}"] = frac
                if parts is not None:
                    values.setdefault(spec[0], parts[0])
                    values.setdefault(spec[1], parts[1])
        return values, ratios

    tidy: dict[str, str] = {}  # names, types and parents repeat: tidy each text once

    def text_at(row: list, rc: int | None) -> str:
        if rc is None:
            return ""
        return _text_of(row[rc], tidy)

    type_of: dict[str, str | None] = {}
    letters["name"] = col_letter(name_col)

    width = max(
        [c + 1 for c in (rel_name, rel_stt, rel_code, rel_type, rel_parent) if c is not None]
        + [rc + 1 for rc, *_ in rel_metric] + [rc + 1 for rc, _ in rel_ratio]
    )
    start = data_start - row0
    body = rows[start:]
    if body and min(map(len, body)) < width:  # ragged rows (CSV): pad so every column index is valid
        body = [row if len(row) >= width else row + [None] * (width - len(row)) for row in body]
    # the texts of the columns read on every organization row, a column at a time
    names = _column_texts(body, rel_name, tidy)
    codes = _column_texts(body, rel_code, tidy) if rel_code is not None else None
    parents = _column_texts(body, rel_parent, tidy) if rel_parent is not None else None
    types = _column_texts(body, rel_type, tidy) if rel_type is not None else None

    def add_org(k: int, name: str, stt: str, number: int | None, last_top: OrgRecord | None) -> OrgRecord | None:
        """Record the organization on body row ``k``; returns the latest numbered (top-level) organization."""
        code = (codes[k] or None) if codes is not None else None
        parent = (parents[k] or None) if parents is not None else None
        numbered = number
        if number is None:
            if m := _HIER_STT.match(stt):
                above = top_by_stt.get(int(m.group(1)))
                if above is not None:
                    parent = above.key
            elif _CHILD_STT.match(stt) and last_top is not None:
                parent = last_top.key
            elif _NUM_STT.match(stt):
                numbered = int(stt.rstrip("."))
        # organization type: its own column, else a commune/ward/… named as such, else its group, else its name
        org_type = None
        if types is not None:
            tv = types[k]
            if tv:
                if tv not in type_of:
                    type_of[tv] = match_org_type(tv)
                org_type = type_of[tv]
                if org_type is None:
                    issues.append(make_issue("org_type_unknown", sheet=sheet, cell=cell_of(start + k, rel_type),
                                             org=code or name, value=tv))
        if org_type is None:
            by_name = org_type_from_name(name)
            org_type = by_name if by_name in _PLACE_TYPES else (group_type or by_name)
        unread = (figures, len(records))
        rec = OrgRecord(name, sheet, start + k + row0 + 1, code, parent, org_type, group_label, unread, {}, unread,
                        letters)
        if numbered is not None:
            top_by_stt[numbered] = rec
            last_top = rec
        records.append(rec)
        org_rows.append(body[k])
        return last_top

    def close_group() -> None:
        group_stack.pop().members.extend(range(group_starts.pop(), len(records)))

    for k, row in enumerate(body):
        stt_raw = row[rel_stt] if rel_stt is not None else None
        # the common case first: a numbered row with a name is an organization
        if (type(stt_raw) is float or type(stt_raw) is int) and stt_raw == int(stt_raw) and names[k]:
            last_top = add_org(k, names[k], "", int(stt_raw), last_top)
            continue
        rr = start + k
        name = names[k]
        if not name and (stt_raw is None or stt_raw == "") and not any(v is not None and v != "" for v in row):
            continue
        stt = text_at(row, rel_stt)
        kind = _classify(stt, name, row, rel_name, rel_stt is not None)
        if kind == "footer":
            break
        if kind == "skip":
            continue
        if kind == "total":
            values, _ratios = read_values(rr, row, name or stt, summed=True)
            dr = DeclaredRow("total", name or stt, sheet, rr + row0 + 1, metrics=values,
                             cells={m: f"{letters[m]}{rr + row0 + 1}" for m in values})
            res.declared.append(dr)
            continue
        if kind == "group":
            marker = _group_marker(stt, name)
            label = marker[1] if marker and marker[1] else name
            level = levels.level(marker[0] if marker else "")
            values, _ratios = read_values(rr, row, label, summed=True)
            org_type = _heading_type(label)
            dr = DeclaredRow("group", label, sheet, rr + row0 + 1, org_type=org_type, level=level, metrics=values,
                             cells={m: f"{letters[m]}{rr + row0 + 1}" for m in values})
            while group_stack and group_stack[-1].level >= level:
                close_group()
            group_stack.append(dr)
            group_starts.append(len(records))
            group_label = label
            group_type = next((grp.org_type for grp in reversed(group_stack) if grp.org_type), None)
            res.declared.append(dr)
            top_by_stt = {}
            last_top = None
            continue
        # an organization
        if not name:
            values, _ = read_values(rr, row, stt)
            if values:
                issues.append(make_issue("missing_name", sheet=sheet, cell=cell_of(rr, rel_name), row=rr + row0 + 1))
            continue
        last_top = add_org(k, name, stt, None, last_top)
    while group_stack:
        close_group()
    figures.fill(_fill_metrics(records, org_rows, rel_metric, sheet, issues), AUXILIARY)
    res.frame = figures.frame
    if rel_ratio:
        for rec, row in zip(records, org_rows, strict=True):
            _values, rec.ratios = read_ratios(rec.row - row0 - 1, row, rec.key, rec.metrics)
        res.frame = {}  # "80/105" may have added counts: the frame is rebuilt from the records


def _text_of(v: Any, tidy: dict[str, str]) -> str:
    """A cell as text: tidied (see ``clean``), whole numbers without ".0", blank as ""."""
    if v is None:
        return ""
    tv = type(v)
    if tv is str:
        t = tidy.get(v)
        if t is None:
            t = tidy[v] = clean(v)
        return t
    if tv is float and v.is_integer():
        return str(int(v))
    return str(v)


def _column_texts(rows: list[list], rc: int, tidy: dict[str, str]) -> list[str]:
    """``_text_of`` of every row's cell in column ``rc`` (a column of text is tidied at once)."""
    values = [row[rc] for row in rows]
    if set(map(type, values)) == {str}:
        return clean_all(values)
    return [_text_of(v, tidy) for v in values]


_NONE = type(None)
_NUMERIC_KINDS = frozenset({float, int, _NONE})
_FLOAT_RECORD = 9  # marshal's form of a float: the type byte "g", then the IEEE double in 8 bytes (little-endian)


class _Column:
    """Column ``rc`` of ``rows``, read a cell at a time (for the few cells a numeric column needs again)."""

    __slots__ = ("rc", "rows")

    def __init__(self, rows: list[list], rc: int) -> None:
        self.rows, self.rc = rows, rc

    def __getitem__(self, i: int) -> Any:
        return self.rows[i][self.rc]

    def __len__(self) -> int:
        return len(self.rows)


_BLANK_RECORD = marshal.dumps("", 2)  # "u" and a length of 0: an empty cell as calamine gives it
_NAN_RECORD = marshal.dumps(float("nan"), 2)


def _float_block(rows: list[list], columns: list[int]) -> np.ndarray | None:
    """``rows`` × ``columns`` as a float64 matrix (NaN for a blank) when every such cell is a float or "";
    else None.

    The rows are read in the order calamine made them, so their cells lie one after another in memory: reading
    a whole column at a time would jump between rows at every cell, a cache miss each. marshal (format 2)
    writes the list of the rows' picked cells as "[" and a 4-byte count, then each row as "(" and a 4-byte
    count, then each cell: a float as "g" and its 8 bytes, "" as "u" and a zero length. The blanks' 5 bytes
    are turned into a NaN's 9 (the pattern cannot overlap a record other than a blank's without making the
    result longer than a matrix of floats, which is checked), then every row header and every type byte is
    checked before the doubles are read in place.
    """
    n, k = len(rows), len(columns)
    if not n or not k:
        return None
    pick = itemgetter(*columns) if k > 1 else (lambda row: (row[columns[0]],))
    try:
        blob = marshal.dumps(list(map(pick, rows)), 2)
    except ValueError:  # dates and times have no marshal form
        return None
    blob = blob.replace(_BLANK_RECORD, _NAN_RECORD)
    width = 5 + _FLOAT_RECORD * k
    if len(blob) != 5 + n * width or blob[:1] != b"[":
        return None
    table = np.frombuffer(blob, dtype=np.uint8, offset=5).reshape(n, width)
    if not ((table[:, 0] == ord("(")).all() and (table[:, 1:5].view("<u4") == k).all()
            and (table[:, 5::_FLOAT_RECORD] == ord("g")).all()):
        return None
    return np.ndarray((n, k), dtype="<f8", buffer=blob, offset=5 + 5 + 1, strides=(width, _FLOAT_RECORD))


def _floats(cells: tuple) -> np.ndarray | None:
    """The cells as a float64 array when every one is a float (not an int, a bool or anything else); else None.

    marshal (format 2) writes a tuple as "(" and its length in 4 bytes, then each float as 9 bytes: "g" and
    the double. One C pass thus both checks every cell's type and converts it, and the check is exact: the first
    cell that is not a float writes another type byte where a "g" is looked for. A Python whose marshal writes
    floats otherwise just gets None here (the careful path) for every column.
    """
    n = len(cells)
    if not n:
        return np.empty(0)
    try:
        blob = marshal.dumps(cells, 2)
    except ValueError:  # dates and times have no marshal form
        return None
    if len(blob) != 5 + _FLOAT_RECORD * n or blob[:1] != b"(":
        return None
    if not (np.frombuffer(blob, dtype=np.uint8, offset=5)[::_FLOAT_RECORD] == ord("g")).all():
        return None
    return np.ndarray((n,), dtype="<f8", buffer=blob, offset=6, strides=(_FLOAT_RECORD,)).copy()


def _fill_metrics(records: list[OrgRecord], org_rows: list[list], rel_metric: list[tuple[int, str, str, bool]],
                  sheet: str, issues: list[Issue]) -> dict[str, np.ndarray]:
    """Parse the organizations' figures a column at a time.

    Whole columns of numbers go through numpy; only cells that are not plain non-negative whole numbers
    take the careful path (with issues). Returns metric → int64 array aligned with ``records`` (-1: no value).
    """
    frame: dict[str, np.ndarray] = {}
    if not records:
        return frame
    found: list[tuple[int, int, Issue]] = []
    block = _float_block(org_rows, [rc for rc, *_ in rel_metric])
    # every column of the rows at once (zip transposes at C speed; rows are padded to the columns read)
    by_column = list(zip(*org_rows, strict=False)) if block is None else []  # rows may run on past the columns
    columns: list[Any] = []
    floats: list[np.ndarray | None] = []
    kinds_of: list[set[type]] = []
    for col_index, (rc, _metric, _letter, _flag) in enumerate(rel_metric):
        if block is not None:  # every figure is a number or blank: a cell is looked at again only if odd
            columns.append(None)
            floats.append(block[:, col_index])  # a view of marshal's bytes: read once below, never kept
            kinds_of.append({float})
            continue
        cells: Any = by_column[rc]
        arr = _floats(cells)  # the usual column: floats only, checked and converted in one pass
        kinds = {float}
        if arr is None:
            kinds = set(map(type, cells))
            if str in kinds:  # calamine gives "" for an empty cell: treat blank text as blank
                cells = [None if type(v) is str and not v.strip() else v for v in cells]
                kinds = set(map(type, cells))
        columns.append(cells)
        floats.append(arr)
        kinds_of.append(kinds)
    for col_index, (rc, metric, letter, flag) in enumerate(rel_metric):
        cells = columns[col_index]
        if cells is None:
            cells = _Column(org_rows, rc)
        kinds = kinds_of[col_index]
        slow: list[int] = []
        if kinds <= _NUMERIC_KINDS:
            arr = floats[col_index]
            if arr is None:
                arr = np.array(cells, dtype=float)  # None becomes NaN
            with np.errstate(invalid="ignore"):  # NaN, infinities, beyond int64: cast to anything, found not good
                col = arr.astype(np.int64)
            good = (col == arr) & (arr >= 0)  # a whole, non-negative number (the comparison is exact)
            if flag:
                good &= arr <= 1
            if not good.all():
                col[~good] = -1
                slow = np.flatnonzero(~good & ~np.isnan(arr)).tolist()  # NaN: blank
        else:
            col = np.full(len(cells), -1, dtype=np.int64)
            for i, v in enumerate(cells):
                if type(v) is float and v >= 0 and v.is_integer() and (v <= 1 or not flag):
                    col[i] = int(v)
                elif type(v) is int and v >= 0 and (v <= 1 or not flag):
                    col[i] = v
                elif v is not None:
                    slow.append(i)
        for i in slow:
            v = cells[i]
            n, problem = parse_flag(v) if flag else parse_count(v)
            rec = records[i]
            if problem is not None:
                code, ctx = problem
                found.append((rec.row, col_index, make_issue(code, sheet=sheet, cell=f"{letter}{rec.row}",
                                                             org=rec.key, metric=metric, value=v, **ctx)))
            elif n is not None:
                col[i] = n
        frame[metric] = col
    found.sort(key=lambda t: (t[0], t[1]))
    issues.extend(issue for _, _, issue in found)
    return frame


def _classify(stt: str, name: str, row: list, rel_name: int, has_stt: bool) -> str:
    """org, group, total, footer or skip, for a row whose STT is not a plain number."""
    first_texts = [clean(v) for v in row[: max(rel_name + 2, 3)] if isinstance(v, str) and clean(v)]
    for t in first_texts:
        if _is_footer(fold(t)):
            return "footer"
    label_f = fold(name) if name else ""
    if any(_is_total_label(fold(t)) for t in first_texts) or (stt and _is_total_label(fold(stt))):
        return "total"
    if _group_marker(stt, name):
        return "group"
    if stt and (_NUM_STT.match(stt) or _HIER_STT.match(stt)):
        return "org"
    has_numbers = any(
        isinstance(v, (int, float)) and not isinstance(v, bool) for i, v in enumerate(row) if i != rel_name
    )
    if name and not stt:
        # a heading naming an organization type ("Khối doanh nghiệp nhà nước"), not an organization
        if _is_type_heading(label_f):
            return "group"
        # with an STT column, an unnumbered line without figures is a note, not an organization
        return "org" if has_numbers or not has_stt else "skip"
    if not name and not stt:
        return "org" if has_numbers else "skip"
    return "org"


_TYPE_HEADING_START = ("khoi ", "cac ", "loai hinh", "nhom ", "doanh nghiep", "co quan", "don vi su nghiep", "dn ",
                       "to chuc co so dang", "tccs")
_TYPE_NAMES = {fold(t.vi) for t in ORG_TYPES}


_PLACE_TYPES = frozenset({"commune", "ward", "township", "special_zone"})


def _heading_type(label: str) -> str | None:
    """The type a group heading names; None for a heading over several types ("Khối xã, phường, thị trấn")."""
    if not label:
        return None
    parts = [p for p in re.split(r",|;|\bvà\b|/", label) if p.strip()]
    types = {match_org_type(p) for p in parts} - {None}
    if len(types) > 1:
        return None
    return match_org_type(label)


def _is_type_heading(folded: str) -> bool:
    if folded.startswith(_ORG_WORDS[:2]) or match_org_type(folded) is None:
        return False
    return folded in _TYPE_NAMES or folded.startswith(_TYPE_HEADING_START)
