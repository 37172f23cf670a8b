"""Header text → canonical ids (loaders.catalogue), and the text folding it rests on (loaders.text).

The canonical ids are binding (domain.md, "Metrics" and "Organization types"); the Vietnamese variants
below are the ones domain.md lists, plus realistic abbreviations and spellings seen in local sheets.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.catalogue import (
    METRIC_BY_ID,
    METRIC_IDS,
    ORG_TYPE_IDS,
    match_header,
    match_org_type,
    org_type_from_name,
)
from loaders.text import clean, fold, normalize_name

# --- the catalogue is domain.md's ------------------------------------------------------------

DOMAIN_METRIC_KINDS = {
    "members_total": "stock",
    "members_full": "stock",
    "members_probationary": "stock",
    "members_female": "stock",
    "members_ethnic_minority": "stock",
    "members_religious": "stock",
    "members_exempt": "stock",
    "admitted": "flow",
    "recognized_full": "flow",
    "transferred_in": "flow",
    "transferred_out": "flow",
    "reinstated": "flow",
    "deceased": "flow",
    "removed": "flow",
    "expelled": "flow",
    "resigned": "flow",
    "disciplined_total": "flow",
    "disciplined_reprimand": "flow",
    "disciplined_warning": "flow",
    "disciplined_dismissal": "flow",
    "disciplined_expulsion": "flow",
    "inspections": "flow",
    "supervisions": "flow",
    "rated_total": "annual",
    "rated_excellent": "annual",
    "rated_good": "annual",
    "rated_complete": "annual",
    "rated_failed": "annual",
    "committee_members": "stock",
    "committee_female": "stock",
    "committee_youth": "stock",
    "committee_ethnic_minority": "stock",
    "secretary_is_head": "stock",
}
DOMAIN_ORG_TYPES = (
    "commune",
    "ward",
    "township",
    "special_zone",
    "party_front_agency",
    "admin_agency",
    "public_service_unit",
    "army",
    "police",
    "soe_100",
    "soe_majority",
    "soe_minority",
    "private_enterprise",
    "foreign_invested",
    "cooperative",
    "overseas",
    "other",
)


def test_metric_ids_and_kinds_are_exactly_those_of_domain_md():
    assert set(METRIC_IDS) == set(DOMAIN_METRIC_KINDS)
    assert {m: METRIC_BY_ID[m].kind for m in METRIC_IDS} == DOMAIN_METRIC_KINDS


def test_org_type_ids_are_exactly_those_of_domain_md():
    assert set(ORG_TYPE_IDS) == set(DOMAIN_ORG_TYPES)


# --- one header cell → a metric ---------------------------------------------------------------

METRIC_HEADERS: dict[str, list[str]] = {
    "members_total": [
        "Tổng số đảng viên",
        "Số đảng viên",
        "Tổng số ĐV",
        "Cuối kỳ",
        "Đảng viên cuối kỳ",
        "Số lượng đảng viên",
        "Đảng viên",
    ],
    "members_full": ["Đảng viên chính thức", "ĐVCT", "ĐV chính thức", "Chính thức"],
    "members_probationary": ["Đảng viên dự bị", "ĐV dự bị", "ĐVDB", "Dự bị"],
    "members_female": ["Nữ", "Đảng viên nữ", "ĐV nữ", "Đảng viên là nữ"],
    "members_ethnic_minority": ["Dân tộc thiểu số", "DTTS", "Đảng viên là người dân tộc thiểu số"],
    "members_religious": ["Người theo tôn giáo", "Tôn giáo", "Đảng viên theo tôn giáo"],
    "members_exempt": [
        "Miễn công tác và sinh hoạt đảng",
        "Miễn SH",
        "Miễn sinh hoạt",
        "Đảng viên được miễn công tác và sinh hoạt đảng",
    ],
    "admitted": [
        "Kết nạp",
        "Kết nạp mới",
        "Kết nạp đảng viên",
        "KN",
        "Phát triển đảng viên",
        "Phát triển đảng viên mới",
        "Số đảng viên mới kết nạp",
        "Số đảng viên kết nạp trong kỳ",
    ],
    "recognized_full": ["Công nhận đảng viên chính thức", "CN chính thức", "CNCT", "Công nhận ĐV chính thức"],
    "transferred_in": ["Chuyển đến", "Tiếp nhận", "Đảng viên chuyển đến", "Chuyển sinh hoạt đảng đến"],
    "transferred_out": ["Chuyển đi", "Đảng viên chuyển đi"],
    "reinstated": ["Phục hồi đảng tịch"],
    "deceased": ["Từ trần", "Chết", "Đảng viên từ trần"],
    "removed": ["Xóa tên", "Xoá tên", "Đảng viên bị xóa tên"],
    "expelled": ["Khai trừ", "Khai trừ ra khỏi Đảng"],
    "resigned": ["Xin ra khỏi Đảng"],
    "disciplined_total": ["Kỷ luật", "Đảng viên bị kỷ luật", "Số đảng viên bị kỷ luật", "Kỷ luật đảng viên"],
    "disciplined_reprimand": ["Khiển trách"],
    "disciplined_warning": ["Cảnh cáo"],
    "disciplined_dismissal": ["Cách chức"],
    "disciplined_expulsion": ["Kỷ luật khai trừ", "Số đảng viên bị kỷ luật khai trừ"],
    "inspections": ["Kiểm tra (lượt)", "Kiểm tra", "Số lượt kiểm tra"],
    "supervisions": ["Giám sát (lượt)", "Giám sát", "Số cuộc giám sát"],
    "rated_total": [
        "Số đảng viên được đánh giá, xếp loại",
        "Tổng số đảng viên được đánh giá, xếp loại",
        "Số đảng viên được đánh giá, xếp loại chất lượng",
    ],
    "rated_excellent": ["Hoàn thành xuất sắc nhiệm vụ", "HTXSNV", "Hoàn thành xuất sắc nhiệm vụ (HTXSNV)"],
    "rated_good": ["Hoàn thành tốt nhiệm vụ", "HTTNV"],
    "rated_complete": ["Hoàn thành nhiệm vụ", "HTNV"],
    "rated_failed": ["Không hoàn thành nhiệm vụ", "KHTNV"],
    "committee_members": ["Cấp ủy viên", "Cấp uỷ viên", "Cấp ủy", "Cấp uỷ", "Số cấp ủy viên"],
    "committee_female": ["Cấp ủy viên nữ", "Cấp uỷ viên nữ"],
    "committee_youth": ["Cấp ủy viên trẻ", "Cấp ủy viên trẻ (dưới 40 tuổi)", "Cấp uỷ viên trẻ dưới 42 tuổi"],
    "committee_ethnic_minority": ["Cấp ủy viên dân tộc thiểu số", "Cấp ủy viên DTTS"],
    "secretary_is_head": [
        "Bí thư đồng thời là thủ trưởng",
        "Bí thư đồng thời là thủ trưởng (nhất thể hóa)",
        "Nhất thể hóa",
        "Nhất thể hoá",
    ],
}
FIELD_HEADERS: dict[str, list[str]] = {
    "stt": ["STT", "TT", "Số TT", "Số thứ tự"],
    "name": [
        "Tên tổ chức cơ sở đảng",
        "Tên TCCS đảng",
        "Tên TCCSĐ",
        "Đơn vị",
        "Tên đơn vị",
        "Tên chi bộ, đảng bộ cơ sở",
    ],
    "code": ["Mã", "Mã số"],
    "org_type": ["Loại hình", "Loại hình TCCS đảng"],
    "note": ["Ghi chú"],
}
HEADER_CASES = [(text, target) for target, texts in {**METRIC_HEADERS, **FIELD_HEADERS}.items() for text in texts]


def test_every_metric_has_header_variants_in_the_table():
    assert set(METRIC_HEADERS) == set(METRIC_IDS)
    assert all(METRIC_HEADERS[m] for m in METRIC_IDS)


@pytest.mark.parametrize(("header", "target"), HEADER_CASES)
def test_header_variant_maps_to_its_canonical_id(header, target):
    assert match_header((header,)) == target


def _no_diacritics(text: str) -> str:
    s = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def _spellings(text: str) -> dict[str, str]:
    """The ways one header arrives: as typed, NFD, upper case, without diacritics, with Ð for Đ,
    with zero-width spaces and doubled spaces, and broken over two lines."""
    return {
        "nfd": unicodedata.normalize("NFD", text),
        "upper": text.upper(),
        "lower": text.lower(),
        "no_diacritics": _no_diacritics(text),
        "eth": text.replace("Đ", "\u00d0").replace("đ", "\u00f0"),
        "zero_width": "\ufeff" + text[:1] + "\u200b" + text[1:].replace(" ", " \u200c", 1) + "\u200d",
        "double_spaces": "  " + text.replace(" ", "  ") + " ",
        "nbsp_and_newline": text.replace(" ", "\u00a0", 1).replace(" ", "\n", 1),
    }


@pytest.mark.parametrize(("header", "target"), HEADER_CASES)
def test_header_spelled_any_way_maps_alike(header, target):
    for how, variant in _spellings(header).items():
        assert match_header((variant,)) == target, (how, variant)


@pytest.mark.parametrize(
    ("old", "new", "target"),
    [
        ("Cấp uỷ viên nữ", "Cấp ủy viên nữ", "committee_female"),
        ("Xoá tên", "Xóa tên", "removed"),
        ("Nhất thể hoà", "Nhất thể hòa", "secretary_is_head"),
    ],
)
def test_old_and_new_tone_placement_map_alike(old, new, target):
    assert match_header((old,)) == match_header((new,)) == target


# --- header paths: a child read with its merged parent ----------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (("Cấp ủy viên", "Nữ"), "committee_female"),
        (("Cấp uỷ viên", "Tổng số"), "committee_members"),
        (("Cấp ủy viên", "Trẻ"), "committee_youth"),
        (("Cấp ủy viên", "Dân tộc thiểu số"), "committee_ethnic_minority"),
        (("Cấp ủy viên", "Trong đó", "Nữ"), "committee_female"),
        (("Cấp ủy viên", "Cấp ủy viên"), "committee_members"),  # a cell merged down over two header rows
        (("Số lượng đảng viên", "Nữ"), "members_female"),
        (("Số lượng đảng viên", "Trong đó", "Nữ"), "members_female"),
        (("Số lượng đảng viên", "Tổng số (2)=(3)+(4)"), "members_total"),
        (("Số lượng đảng viên", "Chia ra", "Chính thức"), "members_full"),
        (("Số lượng đảng viên", "Chia ra", "Dự bị"), "members_probationary"),
        (("Kỷ luật", "Khai trừ"), "disciplined_expulsion"),
        (("Đảng viên bị kỷ luật", "Khai trừ"), "disciplined_expulsion"),
        (("Đảng viên giảm", "Khai trừ"), "expelled"),
        (("Kỷ luật đảng viên", "Tổng số"), "disciplined_total"),
        (("Kỷ luật", "Khiển trách"), "disciplined_reprimand"),
        (("Kỷ luật", "Cảnh cáo"), "disciplined_warning"),
        (("Kỷ luật", "Cách chức"), "disciplined_dismissal"),
        (("Đánh giá, xếp loại đảng viên", "Tổng số được đánh giá"), "rated_total"),
        (("Đánh giá, xếp loại đảng viên", "Tổng số"), "rated_total"),
        (("Đánh giá, xếp loại đảng viên", "Hoàn thành xuất sắc nhiệm vụ"), "rated_excellent"),
        (("Đánh giá, xếp loại đảng viên", "Hoàn thành nhiệm vụ"), "rated_complete"),
        (("Đánh giá, xếp loại đảng viên", "Không hoàn thành nhiệm vụ"), "rated_failed"),
        (("Đảng viên tăng", "Kết nạp"), "admitted"),
        (("Đảng viên giảm", "Từ trần"), "deceased"),
        (("Đảng viên giảm", "Xoá tên"), "removed"),
        (("Đảng viên giảm", "Xin ra khỏi Đảng"), "resigned"),
        (("Đảng viên giảm", "Chuyển đi"), "transferred_out"),
    ],
)
def test_child_header_takes_its_meaning_from_the_merged_parent(path, target):
    assert match_header(path) == target


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (("CẤP UỶ VIÊN", "NỮ"), "committee_female"),
        (("Cap uy vien", "Nu"), "committee_female"),
        ((unicodedata.normalize("NFD", "Kỷ luật"), "Khai trừ"), "disciplined_expulsion"),
        (("SO LUONG DANG VIEN", "Trong do", "Nu"), "members_female"),
    ],
)
def test_header_paths_map_alike_in_any_spelling(path, target):
    assert match_header(path) == target


def test_formula_in_a_header_is_ignored():
    assert match_header(("Số lượng đảng viên", "Tổng số (2)=(3)+(4)")) == "members_total"
    assert match_header(("Kết nạp (5)",)) == "admitted"
    assert match_header(("Tổng số đảng viên\n(1)",)) == "members_total"


def test_lone_generic_header_takes_the_subject_of_the_sheet_title():
    # "Tổng số" alone means nothing; under a title about members it is the members total
    assert match_header(("Tổng số",)) is None
    assert match_header(("Tổng số (2)=(3)+(4)",), "dang vien") == "members_total"
    assert match_header(("Nữ",), "cap uy vien") == "committee_female"
    assert match_header(("Tổng số",), "cap uy vien") == "committee_members"
    assert match_header(("Dân tộc thiểu số",), "cap uy vien") == "committee_ethnic_minority"
    assert match_header(("Nữ",), "dang vien") == "members_female"


def test_header_naming_members_keeps_its_meaning_on_a_committee_sheet():
    assert match_header(("Đảng viên nữ",), "cap uy vien") == "members_female"
    assert match_header(("ĐV nữ",), "cap uy vien") == "members_female"


@pytest.mark.parametrize(
    "path",
    [
        ("Số chi bộ trực thuộc",),
        ("Đảng viên giảm / Tổng số",),
        ("Đảng viên giảm", "Tổng số"),
        ("Đảng viên tăng", "Tổng số"),
        ("Đảng viên tăng",),
        ("Tỷ lệ %",),
        ("Tỷ lệ (%)",),
        ("Tổng số",),
        ("Trong đó",),
        ("Chia ra",),
        ("(1)",),
        ("3=4+5",),
        ("",),
        ("Số tổ đảng",),
        ("Tuổi đời bình quân",),
        ("Trình độ lý luận chính trị cao cấp",),
        ("Quần chúng ưu tú",),
        ("Đối tượng kết nạp đảng",),
        ("Tặng huy hiệu 30 năm tuổi Đảng",),
        ("Họ và tên",),
    ],
)
def test_headers_that_name_no_metric_map_to_nothing(path):
    assert match_header(path) is None


@pytest.mark.parametrize(
    "path",
    [
        ("Số TCCS đảng",),
        ("Số lượng TCCS đảng",),
        ("Tổng số TCCS đảng",),
        ("Số đảng bộ cơ sở",),
        ("Số tổ chức cơ sở đảng", "Đảng bộ cơ sở"),
        ("Tổ chức cơ sở đảng", "Tổng số"),
    ],
)
def test_a_count_of_organizations_is_not_the_name_column(path):
    # these columns hold numbers; reading them as the organization's name would lose every row
    assert match_header(path) is None


# --- organization types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "org_type"),
    [
        ("Xã", "commune"),
        ("XÃ", "commune"),
        ("Các xã", "commune"),
        ("Phường", "ward"),
        ("Các phường", "ward"),
        ("Thị trấn", "township"),
        ("Đặc khu", "special_zone"),
        ("Cơ quan Đảng, MTTQ, đoàn thể chính trị - xã hội", "party_front_agency"),
        ("Cơ quan Nhà nước", "admin_agency"),
        ("Cơ quan hành chính", "admin_agency"),
        ("CQHC", "admin_agency"),
        ("Đơn vị sự nghiệp", "public_service_unit"),
        ("Đơn vị sự nghiệp công lập", "public_service_unit"),
        ("Đơn vị sự nghiệp ngoài công lập", "public_service_unit"),
        ("ĐVSN", "public_service_unit"),
        ("Quân đội", "army"),
        ("Lực lượng vũ trang", "army"),
        ("Công an", "police"),
        ("DN 100% vốn Nhà nước", "soe_100"),
        ("DN 100% vốn NN", "soe_100"),
        ("DN Nhà nước nắm giữ 100% vốn điều lệ", "soe_100"),
        ("DNNN", "soe_100"),
        ("DN có vốn Nhà nước trên 50%", "soe_majority"),
        ("DN có vốn Nhà nước từ 50% trở lên", "soe_majority"),
        ("DN >50% vốn NN", "soe_majority"),
        ("DN có vốn NN > 50%", "soe_majority"),
        ("DN có vốn Nhà nước dưới 50%", "soe_minority"),
        ("DN <50% vốn NN", "soe_minority"),
        ("DN ngoài khu vực Nhà nước", "private_enterprise"),
        ("Công ty cổ phần", "private_enterprise"),
        ("DN tư nhân", "private_enterprise"),
        ("Công ty TNHH", "private_enterprise"),
        ("Hợp danh", "private_enterprise"),
        ("DN CP, TN", "private_enterprise"),
        ("DN ngoài NN", "private_enterprise"),
        ("DN có vốn đầu tư nước ngoài", "foreign_invested"),
        ("DN FDI", "foreign_invested"),
        ("Hợp tác xã", "cooperative"),
        ("HTX", "cooperative"),
        ("TCCSĐ ở ngoài nước", "overseas"),
        ("Loại hình khác", "other"),
        ("Khác", "other"),
    ],
)
def test_org_type_variant_maps_to_its_id(text, org_type):
    assert match_org_type(text) == org_type
    assert match_org_type(_no_diacritics(text)) == org_type
    assert match_org_type(unicodedata.normalize("NFD", text).upper()) == org_type


@pytest.mark.parametrize("org_type", DOMAIN_ORG_TYPES)
def test_org_type_id_itself_is_recognized(org_type):
    assert match_org_type(org_type) == org_type


@pytest.mark.parametrize("text", ["", "   ", "Trường học", "Chi bộ A"])
def test_text_naming_no_org_type_maps_to_nothing(text):
    assert match_org_type(text) is None


@pytest.mark.parametrize(
    ("name", "org_type"),
    [
        ("Đảng bộ xã Tân An", "commune"),
        ("Đảng bộ cơ sở xã An Bình", "commune"),
        ("Chi bộ xã Đông Hòa", "commune"),
        ("Đảng bộ phường 3", "ward"),
        ("ĐẢNG BỘ PHƯỜNG TRẦN HƯNG ĐẠO", "ward"),
        ("Đảng bộ thị trấn Vũ Thư", "township"),
        ("Đảng bộ đặc khu Phú Quốc", "special_zone"),
        # the police committee of a province (or of a commune) is a police organization: domain.md's
        # type table has "Công an" as its own type, whatever the level
        ("Đảng bộ Công an tỉnh", "police"),
        ("Đảng bộ Công an xã Tân An", "police"),
        ("Đảng bộ Quân sự tỉnh", "army"),
        ("Đảng bộ Bộ đội Biên phòng tỉnh", "army"),
        ("Đảng bộ Ban Chỉ huy Quân sự huyện", "army"),
        ("Chi bộ Hợp tác xã Nông nghiệp Đông Hưng", "cooperative"),
    ],
)
def test_org_type_implied_by_the_name(name, org_type):
    assert org_type_from_name(name) == org_type


@pytest.mark.parametrize(
    "name",
    ["Chi bộ Trường THCS Xã Đàn", "Đảng bộ Sở Y tế", "Chi bộ Phòng Kinh tế", "Đảng bộ Công ty Điện lực", "Xã Tân An"],
)
def test_name_that_does_not_start_with_a_type_implies_none(name):
    # "Xã Đàn" is a street in a school's name; a bare "Xã Tân An" is not a party organization's name
    assert org_type_from_name(name) is None


# --- fold and normalize_name --------------------------------------------------------------------


def test_fold_removes_diacritics_case_and_dd():
    assert fold("Cấp uỷ viên") == "cap uy vien"
    assert fold("CẤP ỦY VIÊN") == "cap uy vien"
    assert fold("Ðảng viên") == fold("Đảng viên") == "dang vien"
    assert fold(" Tổng  số\u200b ĐV ") == "tong so dv"


def test_fold_keeps_percent_comparison_and_formula_tokens_apart():
    assert fold("DN >50% vốn NN") == "dn > 50 % von nn"
    assert fold("Tổng số (2)=(3)+(4)") == "tong so ( 2 ) = ( 3 ) + ( 4 )"


def test_clean_recomposes_a_mark_separated_by_a_zero_width_space():
    decomposed = unicodedata.normalize("NFD", "Thủy")
    broken = decomposed[:3] + "\u200b" + decomposed[3:]  # "Thu", ZWSP, hook above, "y"
    assert clean(broken) == "Thủy"


def test_normalize_name_keeps_tones_that_tell_names_apart():
    assert normalize_name("Thủy") != normalize_name("Thúy")
    assert normalize_name("Hòa") != normalize_name("Hoa")
    assert normalize_name("Đông") != normalize_name("Dong")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Thuỷ", "Thủy"),
        ("Thuý", "Thúy"),
        ("Xoá", "Xóa"),
        ("Hoà Bình", "Hòa Bình"),
        ("Khoẻ", "Khỏe"),
        ("Đông Thuỵ", "Đông Thụy"),
        ("Hoạ", "Họa"),
    ],
)
def test_normalize_name_equates_old_and_new_tone_placement(old, new):
    assert normalize_name(old) == normalize_name(new)


def test_normalize_name_equates_nfc_nfd_case_and_lookalike_d():
    base = normalize_name("Đảng bộ phường Hòa Bình")
    assert normalize_name(unicodedata.normalize("NFD", "Đảng bộ phường Hòa Bình")) == base
    assert normalize_name("ĐẢNG BỘ PHƯỜNG HÒA BÌNH") == base
    assert normalize_name("\u00d0ảng bộ phường Hòa Bình") == base
    assert normalize_name("  Đảng  bộ\u200b phường Hoà Bình ") == base


# Vietnamese letters, with every vowel in every tone, digits, spaces and header punctuation
_VOWELS = "aăâeêioôơuưy"
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_VI_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONE_MARKS} | set("bcdđghklmnpqrstvx")
)
_VI_ALPHABET = "".join(_VI_LETTERS) + "".join(_VI_LETTERS).upper() + "0123456789 ,.()%/-+=<>"
vi_text = st.text(alphabet=_VI_ALPHABET, max_size=40)
_ZERO_WIDTHS = "\u200b\u200c\u200d\u2060\ufeff"


@st.composite
def with_zero_widths(draw, text_strategy=vi_text):
    text = draw(text_strategy)
    chars = list(text)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        chars.insert(draw(st.integers(min_value=0, max_value=len(chars))), draw(st.sampled_from(_ZERO_WIDTHS)))
    return text, "".join(chars)


@given(with_zero_widths())
def test_clean_gives_one_nfc_text_whatever_zero_widths_sit_between_letter_and_mark(pair):
    text, _ = pair
    decomposed_with_zw = "\u200b".join(unicodedata.normalize("NFD", text))
    assert clean(decomposed_with_zw) == clean(text)


@given(vi_text)
def test_fold_is_the_same_for_nfc_nfd_and_any_case(text):
    folded = fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == folded
    assert fold(unicodedata.normalize("NFC", text)) == folded
    assert fold(text.upper()) == folded
    assert fold(text.lower()) == folded


@given(with_zero_widths())
def test_fold_ignores_inserted_zero_width_characters(pair):
    text, with_zw = pair
    assert fold(with_zw) == fold(text)
    assert fold(unicodedata.normalize("NFD", with_zw)) == fold(text)


@given(vi_text)
def test_fold_ignores_repeated_spaces_and_dd_lookalikes(text):
    assert fold(text.replace(" ", "   ")) == fold(text)
    assert fold(text.replace("Đ", "\u00d0").replace("đ", "\u00f0")) == fold(text)


@given(vi_text)
def test_fold_is_idempotent_and_plain_ascii(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded.isascii()
    assert folded == folded.lower().strip()
    assert "  " not in folded


@given(vi_text)
def test_normalize_name_is_the_same_for_nfc_nfd_case_and_zero_widths(text):
    name = normalize_name(text)
    assert normalize_name(unicodedata.normalize("NFD", text)) == name
    assert normalize_name(text.upper()) == name
    assert normalize_name(text.lower()) == name
    assert normalize_name("\u200b".join(text)) == name
    assert normalize_name("\u200b".join(unicodedata.normalize("NFD", text))) == name
    assert normalize_name(text.replace(" ", "  ")) == name


@given(vi_text)
def test_normalize_name_equates_old_tone_placement(text):
    # the two placements differ only at the end of a syllable (hòa/hoà; hoàng is the same in both)
    old = text
    for new_style, old_style in (("ủy", "uỷ"), ("óa", "oá"), ("òa", "oà")):
        old = re.sub(new_style + r"(?![^\W\d_])", old_style, old)
    assert normalize_name(old) == normalize_name(text)


@given(st.sampled_from(_TONE_MARKS), st.sampled_from(_TONE_MARKS))
def test_normalize_name_tells_tones_apart(tone_a, tone_b):
    a = unicodedata.normalize("NFC", "Thu" + tone_a + "y")
    b = unicodedata.normalize("NFC", "Thu" + tone_b + "y")
    assert (normalize_name(a) == normalize_name(b)) == (tone_a == tone_b)
