"""Bad files are refused with a stable code and a sentence in each language; nothing else escapes."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import safety
from loaders.formats import read_workbook
from loaders.model import Limits, UnreadableFileError, Workbook
from tests import badfiles

ROOT = Path(__file__).resolve().parent.parent
VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")

CASES = [
    ("random_bytes", "so-lieu.xlsx", "not_a_spreadsheet"),
    ("pdf", "bao-cao.xlsx", "not_a_spreadsheet"),
    ("png", "anh.xls", "not_a_spreadsheet"),
    ("elf", "x.xlsx", "not_a_spreadsheet"),
    ("gzip_file", "x.csv", "not_a_spreadsheet"),
    ("plain_zip", "x.xlsx", "not_a_spreadsheet"),
    ("docx_like", "x.xlsx", "not_a_spreadsheet"),
    ("word_ole", "x.xls", "not_a_spreadsheet"),
    ("empty", "trong.xlsx", "empty_file"),
    ("truncated_xlsx", "dang-do.xlsx", "truncated_file"),
    ("truncated_xls", "dang-do.xls", "truncated_file"),
    ("garbage_zip", "rac.xlsx", "corrupt_file"),
    ("bad_crc_xlsx", "crc.xlsx", "corrupt_file"),
    ("overflowing_reference", "tran.xlsx", "corrupt_file"),
    ("xls_sst_count_bomb", "sst.xls", "corrupt_file"),
    ("zip_bomb", "bom.xlsx", "zip_bomb"),
    ("lying_bomb", "bom.xlsx", "zip_bomb"),
    ("lying_bomb_forged_crc", "bom.xlsx", "zip_bomb"),
    ("ratio_bomb", "bom.xlsx", "zip_bomb"),
    ("encrypted_xlsx", "mat-khau.xlsx", "encrypted_file"),
    ("encrypted_ods", "mat-khau.ods", "encrypted_file"),
    ("billion_laughs_sst", "lol.xlsx", "xml_entities"),
    ("doctype_in_sheet", "xxe.xlsx", "xml_entities"),
    ("html_as_xls", "bao-cao.xls", "html_disguised"),
    ("doctype_html_as_xls", "bao-cao.xls", "html_disguised"),
    ("spreadsheetml_2003", "bao-cao.xls", "html_disguised"),
    ("mhtml_as_xls", "bao-cao.xls", "html_disguised"),
    ("cp1258_csv", "bao-cao.csv", "text_encoding"),
    ("latin1_csv", "bao-cao.csv", "text_encoding"),
    ("many_sheets", "nhieu-trang.xlsx", "too_many_sheets"),
    ("sparse_grid_bomb", "xa.xlsx", "sheet_too_large"),
    ("implicit_position_bomb", "xa.xlsx", "sheet_too_large"),
    ("shared_string_bomb", "chuoi.xlsx", "sheet_too_large"),
    ("ods_repeat_bomb", "lap.ods", "sheet_too_large"),
    ("ods_text_bomb", "cach.ods", "sheet_too_large"),
    ("xls_corner_bomb", "goc.xls", "sheet_too_large"),
    ("xls_dimension_bomb", "kich-thuoc.xls", "sheet_too_large"),
]


def _refusal(data: bytes, name: str, limits: Limits | None = None) -> UnreadableFileError:
    with pytest.raises(UnreadableFileError) as err:
        read_workbook(data, name, limits or Limits())
    return err.value


@pytest.mark.parametrize(("builder", "name", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_its_code(builder: str, name: str, code: str) -> None:
    error = _refusal(getattr(badfiles, builder)(), name)
    assert error.code == code
    assert error.message_vi and VIETNAMESE.search(error.message_vi.lower())
    # English apart from the quoted file and sheet names
    assert error.message_en.strip() and not VIETNAMESE.search(re.sub("“[^”]*”", "", error.message_en).lower())
    assert name in error.message_vi and name in error.message_en
    assert "Traceback" not in error.message_vi + error.message_en
    assert str(error) == error.message_vi
    assert error.message("en") == error.message_en


def test_every_code_has_both_messages() -> None:
    assert set(safety.MESSAGES) >= {
        "empty_file", "file_too_large", "not_a_spreadsheet", "html_disguised", "corrupt_file", "truncated_file",
        "encrypted_file", "zip_bomb", "too_many_entries", "xml_entities", "text_encoding", "too_many_sheets",
        "unsupported_format", "sheet_too_large", "text_too_large",
    }
    for code, (vi, en) in safety.MESSAGES.items():
        assert "{file}" in vi and "{file}" in en, code
        assert VIETNAMESE.search(vi.lower()), code
        assert en.strip() and not VIETNAMESE.search(en.lower()), code
        for text in (vi, en):  # one sentence: no full stop followed by a new sentence
            assert text.rstrip().endswith(".") and not re.search(r"\.\s+[A-ZĐ]", text), code
        # the same fields in both languages
        assert set(re.findall(r"{(\w+)}", vi)) == set(re.findall(r"{(\w+)}", en)), code


def test_every_code_is_reachable_from_the_corpus_or_limits() -> None:
    codes = {code for _, _, code in CASES}
    codes.add(_refusal(badfiles.small_xlsx(), "x.xlsx", Limits(max_file_bytes=100)).code)
    codes.add(_refusal(badfiles.small_xlsx(), "x.xlsx", Limits(max_zip_entries=3)).code)
    codes.add(_refusal(b"a;b\n" * 100, "x.csv", Limits(max_text_bytes=50)).code)
    codes.add(_refusal(b"\x09\x00\x04\x00\x02\x00\x10\x00" + bytes(100), "cu.xls").code)
    assert codes == set(safety.MESSAGES)


def test_file_too_large_is_checked_first() -> None:
    error = _refusal(badfiles.zip_bomb(), "bom.xlsx", Limits(max_file_bytes=1000))
    assert error.code == "file_too_large"
    assert "KB" in error.message_vi or "MB" in error.message_vi


def test_too_many_entries_before_building_the_directory() -> None:
    entries = [badfiles.entry(f"x/{i}.xml", b"<a/>") for i in range(60)]
    error = _refusal(badfiles.raw_zip(entries), "nhieu.xlsx", Limits(max_zip_entries=50))
    assert error.code == "too_many_entries"


def test_extension_does_not_matter_for_refusals() -> None:
    assert _refusal(badfiles.html_as_xls(), "bao-cao.xlsx").code == "html_disguised"
    assert _refusal(badfiles.pdf(), "bao-cao.csv").code == "not_a_spreadsheet"


def test_limits_on_grid_follow_the_limits_given() -> None:
    assert safety.grid_limit(Limits(max_grid_cells=20_000_000_000)) == 20_000_000_000
    assert safety.text_limit(Limits(max_sheet_text_bytes=5)) == 5


def _only_workbook_or_refusal(data: bytes, name: str) -> None:
    try:
        result = read_workbook(data, name)
    except UnreadableFileError as error:
        assert error.code in safety.MESSAGES
        assert error.message_vi and error.message_en
        return
    assert isinstance(result, Workbook)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.xlsx", "a.xls", "a.csv", "a.txt", "a.ods", "a"]))
def test_arbitrary_bytes_give_a_workbook_or_a_refusal(data: bytes, name: str) -> None:
    _only_workbook_or_refusal(data, name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(["xlsx", "xls", "ods"]),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_real_files_give_a_workbook_or_a_refusal(base: str, edits: list, cut: float | None) -> None:
    data = bytearray(_real(base))
    for where, value in edits:
        data[min(int(where * len(data)), len(data) - 1)] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _only_workbook_or_refusal(bytes(data), f"a.{base}")


def _real(kind: str) -> bytes:
    if kind == "xlsx":
        return badfiles.small_xlsx()
    if kind == "xls":
        return badfiles.small_xls()
    body = b"".join(
        b'<table:table-row><table:table-cell office:value-type="float" office:value="%d"><text:p>%d</text:p>'
        b"</table:table-cell></table:table-row>" % (i, i)
        for i in range(20)
    )
    return badfiles.handmade_ods(badfiles.ods_content(body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sheet_xml_gives_a_workbook_or_a_refusal(data: st.DataObject) -> None:
    # mutations inside the sheet XML itself (the zip stays valid): references, tags, attributes
    refs = data.draw(st.lists(st.from_regex(r"[A-Za-z]{0,4}[0-9]{0,12}", fullmatch=True), min_size=1, max_size=5))
    tags = data.draw(st.lists(st.sampled_from(["<row>", "</row>", "<c>", "<c/>", "<row/>", "<x:c r=\"A1\">",
                                               "<v>1</v>", "</c>"]), max_size=6))
    cells = "".join(f'<c r="{r}" t="n"><v>1</v></c>' for r in refs)
    xml = f'<row r="1">{cells}</row>{"".join(tags)}'.encode()
    _only_workbook_or_refusal(badfiles.handmade_xlsx(xml), "m.xlsx")


# --- resources ----------------------------------------------------------------------------------

# Peak memory is this process's VmHWM: ru_maxrss survives execve on Linux, so a probe started from a
# large pytest process would report the parent's size instead of its own.
_PROBE = textwrap.dedent(
    """
    import json, sys, time
    def peak_mb():
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    sys.path.insert(0, {root!r})
    from tests import badfiles
    from loaders.formats import read_workbook
    from loaders.model import UnreadableFileError
    data = getattr(badfiles, {builder!r})({args})
    base = peak_mb()
    start = time.perf_counter()
    try:
        read_workbook(data, "bom.xlsx")
        code = None
    except UnreadableFileError as error:
        code = error.code
    seconds = time.perf_counter() - start
    print(json.dumps({{"code": code, "seconds": seconds, "size": len(data),
                       "peak_mb": peak_mb(), "before_mb": base}}))
    """
)


def _probe(builder: str, args: str = "") -> dict:
    script = _PROBE.format(root=str(ROOT), builder=builder, args=args)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("builder", ["zip_bomb", "lying_bomb", "lying_bomb_forged_crc"])
def test_gigabyte_bomb_is_refused_fast_and_small(builder: str) -> None:
    result = _probe(builder)
    # refused before anything is inflated: memory stays near the interpreter's own (the time is printed by
    # tests/benchmarks/bench_loaders.py, not asserted here)
    assert result["code"] == "zip_bomb"
    assert result["peak_mb"] < 300


def test_sparse_grid_bomb_does_not_kill_the_process() -> None:
    # calamine alone aborts the interpreter on this 2 KB file (a 512 GB allocation)
    result = _probe("sparse_grid_bomb")
    assert result["code"] == "sheet_too_large"
    assert result["peak_mb"] < 300


def test_extent_of_a_national_scale_sheet() -> None:
    """52.000 rows × 34 columns written like Excel does: the pre-read scan finds the sheet's true extent."""
    rows = []
    for r in range(1, 52_001):
        cells = [f'<c r="A{r}" t="s"><v>{r}</v></c>', f'<c r="B{r}" t="s"><v>{r}</v></c>']
        cells += [f'<c r="{safety_col(c)}{r}" s="2"><v>{(r * c) % 3000}</v></c>' for c in range(2, 34)]
        rows.append(f'<row r="{r}" spans="1:34">{"".join(cells)}</row>')
    data = badfiles.handmade_xlsx("".join(rows).encode())
    pkg = safety.inspect_zip(data, "toan-quoc.xlsx", Limits())
    extent = pkg.extents["xl/worksheets/sheet1.xml"]
    assert (extent.rows, extent.cols) == (52_000, 34)


def safety_col(index: int) -> str:
    from loaders.text import col_letter

    return col_letter(index)


def test_verified_zip_is_not_written_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    read_workbook(badfiles.small_xlsx(), "a.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_zip_listing_of_real_file_is_unchanged() -> None:
    data = badfiles.small_xlsx()
    pkg = safety.inspect_zip(data, "a.xlsx", Limits())
    assert pkg.names == zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert pkg.extents["xl/worksheets/sheet1.xml"].rows == 41
