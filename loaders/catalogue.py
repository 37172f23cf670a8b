"""The metric and organization-type catalogue from ../shared/domain.md, and header matching.

Canonical ids here are binding for the whole product. Aliases are written in *folded* form
(see :func:`loaders.text.fold`): lower case, no diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from loaders.text import fold


@dataclass(frozen=True)
class Metric:
    id: str
    vi: str
    en: str
    kind: str  # stock, flow, annual


METRICS: tuple[Metric, ...] = (
    Metric("members_total", "Tổng số đảng viên", "Members", "stock"),
    Metric("members_full", "Đảng viên chính thức", "Full members", "stock"),
    Metric("members_probationary", "Đảng viên dự bị", "Probationary members", "stock"),
    Metric("members_female", "Đảng viên nữ", "Female members", "stock"),
    Metric("members_ethnic_minority", "Đảng viên dân tộc thiểu số", "Ethnic-minority members", "stock"),
    Metric("members_religious", "Đảng viên theo tôn giáo", "Religious members", "stock"),
    Metric("members_exempt", "Miễn công tác và sinh hoạt đảng", "Members exempt from activities", "stock"),
    Metric("admitted", "Kết nạp", "Admitted", "flow"),
    Metric("recognized_full", "Công nhận đảng viên chính thức", "Recognized as full members", "flow"),
    Metric("transferred_in", "Chuyển đến", "Transferred in", "flow"),
    Metric("transferred_out", "Chuyển đi", "Transferred out", "flow"),
    Metric("reinstated", "Phục hồi đảng tịch", "Reinstated", "flow"),
    Metric("deceased", "Từ trần", "Deceased", "flow"),
    Metric("removed", "Xóa tên", "Removed from the rolls", "flow"),
    Metric("expelled", "Khai trừ (ra khỏi Đảng)", "Expelled", "flow"),
    Metric("resigned", "Xin ra khỏi Đảng", "Resigned", "flow"),
    Metric("disciplined_total", "Đảng viên bị kỷ luật", "Disciplined", "flow"),
    Metric("disciplined_reprimand", "Khiển trách", "Reprimanded", "flow"),
    Metric("disciplined_warning", "Cảnh cáo", "Warned", "flow"),
    Metric("disciplined_dismissal", "Cách chức", "Dismissed from post", "flow"),
    Metric("disciplined_expulsion", "Khai trừ (hình thức kỷ luật)", "Expulsion (discipline)", "flow"),
    Metric("inspections", "Kiểm tra (lượt)", "Inspections", "flow"),
    Metric("supervisions", "Giám sát (lượt)", "Supervisions", "flow"),
    Metric("rated_total", "Số đảng viên được đánh giá, xếp loại", "Members rated", "annual"),
    Metric("rated_excellent", "Hoàn thành xuất sắc nhiệm vụ", "Rated excellent", "annual"),
    Metric("rated_good", "Hoàn thành tốt nhiệm vụ", "Rated good", "annual"),
    Metric("rated_complete", "Hoàn thành nhiệm vụ", "Rated complete", "annual"),
    Metric("rated_failed", "Không hoàn thành nhiệm vụ", "Rated failed", "annual"),
    Metric("committee_members", "Cấp ủy viên", "Committee members", "stock"),
    Metric("committee_female", "Cấp ủy viên nữ", "Female committee members", "stock"),
    Metric("committee_youth", "Cấp ủy viên trẻ", "Young committee members", "stock"),
    Metric("committee_ethnic_minority", "Cấp ủy viên dân tộc thiểu số", "Ethnic-minority committee members", "stock"),
    Metric("secretary_is_head", "Bí thư đồng thời là thủ trưởng", "Secretary is also the head", "stock"),
)
METRIC_IDS: tuple[str, ...] = tuple(m.id for m in METRICS)
METRIC_BY_ID: dict[str, Metric] = {m.id: m for m in METRICS}

# Columns recognized but not canonical metrics: kept on records for checks, never summed as metrics.
AUXILIARY = {"members_opening": ("Đảng viên đầu kỳ", "Members at the start of the period")}

# Fields that describe the organization rather than measure it.
FIELDS = ("stt", "name", "code", "org_type", "parent", "note")


@dataclass(frozen=True)
class OrgType:
    id: str
    vi: str
    en: str


ORG_TYPES: tuple[OrgType, ...] = (
    OrgType("commune", "Xã", "Commune"),
    OrgType("ward", "Phường", "Ward"),
    OrgType("township", "Thị trấn", "Township"),
    OrgType("special_zone", "Đặc khu", "Special zone"),
    OrgType("party_front_agency", "Cơ quan Đảng, MTTQ, đoàn thể", "Party, Front and mass-organization agencies"),
    OrgType("admin_agency", "Cơ quan hành chính nhà nước", "State administrative agencies"),
    OrgType("public_service_unit", "Đơn vị sự nghiệp", "Public service units"),
    OrgType("army", "Quân đội", "Army"),
    OrgType("police", "Công an", "Police"),
    OrgType("soe_100", "DN 100% vốn Nhà nước", "Wholly state-owned enterprises"),
    OrgType("soe_majority", "DN có vốn Nhà nước trên 50%", "Majority state-owned enterprises"),
    OrgType("soe_minority", "DN có vốn Nhà nước dưới 50%", "Minority state-owned enterprises"),
    OrgType("private_enterprise", "DN ngoài khu vực Nhà nước", "Private enterprises"),
    OrgType("foreign_invested", "DN có vốn đầu tư nước ngoài", "Foreign-invested enterprises"),
    OrgType("cooperative", "Hợp tác xã", "Cooperatives"),
    OrgType("overseas", "TCCSĐ ở ngoài nước", "Overseas organizations"),
    OrgType("other", "Loại hình khác", "Other"),
)
ORG_TYPE_IDS: tuple[str, ...] = tuple(t.id for t in ORG_TYPES)
ORG_TYPE_BY_ID: dict[str, OrgType] = {t.id: t for t in ORG_TYPES}

# --------------------------------------------------------------------------------------------
# Header aliases. Each alias is a folded phrase *after* filler words are removed (see _core).
# Order inside a list does not matter; an alias must belong to one target only.
_ALIASES: dict[str, tuple[str, ...]] = {
    # fields
    "stt": ("stt", "tt", "so tt", "thu tu", "so thu tu"),
    "name": (
        "ten", "ten to chuc", "ten to chuc dang", "ten to chuc co so dang", "ten tccs", "ten tccs dang",
        "ten tccsd", "to chuc co so dang", "tccs dang", "tccsd", "ten don vi", "don vi",
        "ten co so dang", "ten dang bo", "ten chi bo", "chi bo dang bo", "dang bo chi bo",
        "ten chi bo dang bo", "ten dang bo chi bo", "ten dang bo chi bo co so", "chi bo dang bo co so",
        "dang bo chi bo co so", "ten dang bo chi bo truc thuoc", "ten to chuc dang truc thuoc",
        "ten dang bo co so", "co so dang", "ten tcd", "to chuc dang", "dang bo", "don vi bao cao",
    ),
    "code": ("ma", "ma so", "ma don vi", "ma to chuc", "ma tccs", "ma tccsd", "ma to chuc dang", "ma dang bo"),
    "org_type": (
        "loai hinh", "loai hinh to chuc co so dang", "loai hinh tccs", "loai hinh tccsd", "loai",
        "loai hinh don vi", "loai hinh to chuc dang", "loai hinh co so dang", "khoi", "loai hinh tccs dang",
    ),
    "parent": (
        "truc thuoc", "dang bo cap tren", "cap tren", "don vi cap tren", "thuoc dang bo", "cap tren truc tiep",
        "dang bo cap tren truc tiep", "to chuc dang cap tren", "thuoc",
    ),
    "note": ("ghi chu", "chu thich"),
    # metrics
    "members_total": (
        "dang vien", "dv", "tong dang vien", "tong dv", "dang vien cuoi ky", "dv cuoi ky",
        "dang vien cuoi nam", "cuoi nam",
        "toan dang bo dang vien", "so dang vien hien co", "dang vien hien co", "hien co",
        "tong so dang vien", "cuoi ky", "tong", "dang vien co den cuoi ky",
    ),
    "members_full": (
        "dang vien chinh thuc", "dv chinh thuc", "dvct", "chinh thuc", "dang vien ct", "dv ct",
    ),
    "members_probationary": ("dang vien du bi", "dv du bi", "dvdb", "du bi", "dv db", "dang vien db"),
    "members_female": ("dang vien nu", "dv nu", "nu", "dang vien la nu", "phu nu", "dang vien phu nu"),
    "members_ethnic_minority": (
        "dang vien dan toc thieu so", "dv dan toc thieu so", "dan toc thieu so", "dtts", "dv dtts",
        "dang vien dtts", "dan toc it nguoi", "dang vien nguoi dan toc thieu so", "nguoi dan toc thieu so",
    ),
    "members_religious": (
        "dang vien theo ton giao", "dv theo ton giao", "ton giao", "nguoi theo ton giao", "theo ton giao",
        "dang vien la nguoi theo ton giao", "dang vien ton giao", "dv ton giao",
    ),
    "members_exempt": (
        "mien cong tac va sinh hoat dang", "mien sinh hoat", "mien sh", "mien ct va sh", "mien ct sh",
        "dang vien mien cong tac va sinh hoat dang", "dang vien mien sinh hoat", "dv mien sh",
        "mien cong tac sinh hoat dang", "mien cong tac va sinh hoat", "mien ctsh",
        "dang vien duoc mien cong tac va sinh hoat dang", "duoc mien cong tac va sinh hoat dang",
    ),
    "admitted": (
        "ket nap", "ket nap moi", "ket nap dang vien", "ket nap dang vien moi", "kn", "so ket nap",
        "phat trien dang vien", "dang vien ket nap", "dang vien moi ket nap", "dang vien moi",
        "dv ket nap", "ket nap dv", "ket nap moi dang vien", "dang vien duoc ket nap", "kn dv",
        "phat trien dang vien moi",
    ),
    "recognized_full": (
        "cong nhan dang vien chinh thuc", "cong nhan chinh thuc", "cn chinh thuc", "cnct", "cn ct",
        "chuyen chinh thuc", "cong nhan dv chinh thuc", "dang vien duoc cong nhan chinh thuc",
        "xet cong nhan chinh thuc", "cong nhan dvct", "duoc cong nhan chinh thuc",
    ),
    "transferred_in": (
        "chuyen den", "tiep nhan", "dang vien chuyen den", "dv chuyen den", "tiep nhan dang vien",
        "chuyen sinh hoat den", "nhan chuyen den", "tiep nhan chuyen den", "chuyen sinh hoat dang den",
    ),
    "transferred_out": (
        "chuyen di", "dang vien chuyen di", "dv chuyen di", "chuyen sinh hoat di", "chuyen sinh hoat dang di",
    ),
    "reinstated": ("phuc hoi dang tich", "phuc hoi", "dang vien phuc hoi dang tich", "phuc hoi dt"),
    "deceased": ("tu tran", "chet", "tu tran chet", "dang vien tu tran", "dv tu tran", "tu tran tu vong", "tu vong"),
    "removed": (
        "xoa ten", "dang vien bi xoa ten", "bi xoa ten", "xoa ten dang vien", "dv bi xoa ten", "xoa ten khoi danh sach",
    ),
    "expelled": ("khai tru", "bi khai tru", "dang vien bi khai tru", "khai tru ra khoi dang"),
    "resigned": (
        "xin ra khoi dang", "xin ra dang", "dang vien xin ra khoi dang", "ra khoi dang", "xin ra", "xin ra khoi",
    ),
    "disciplined_total": (
        "ky luat", "dang vien bi ky luat", "bi ky luat", "dv bi ky luat", "so dang vien bi ky luat",
        "ky luat dang vien", "thi hanh ky luat", "ky luat tong", "dang vien vi pham bi ky luat",
    ),
    "disciplined_reprimand": ("khien trach", "ky luat khien trach", "kt khien trach"),
    "disciplined_warning": ("canh cao", "ky luat canh cao"),
    "disciplined_dismissal": ("cach chuc", "ky luat cach chuc"),
    "disciplined_expulsion": (
        "ky luat khai tru", "thi hanh ky luat khai tru", "dang vien bi ky luat khai tru", "hinh thuc khai tru",
    ),
    "inspections": (
        "kiem tra", "kiem tra luot", "luot kiem tra", "so luot kiem tra", "cuoc kiem tra", "so cuoc kiem tra",
    ),
    "supervisions": (
        "giam sat", "giam sat luot", "luot giam sat", "so luot giam sat", "cuoc giam sat", "so cuoc giam sat",
    ),
    "rated_total": (
        "dang vien duoc danh gia xep loai", "duoc danh gia xep loai", "danh gia xep loai", "duoc danh gia",
        "dang vien duoc danh gia", "so dang vien duoc danh gia xep loai", "so duoc danh gia",
        "xep loai dang vien", "danh gia xep loai dang vien", "danh gia xep loai chat luong dang vien",
        "dang vien duoc xep loai", "duoc xep loai", "chat luong dang vien", "xep loai chat luong dang vien",
        "dang vien duoc danh gia xep loai chat luong", "duoc danh gia xep loai chat luong",
    ),
    "rated_excellent": (
        "hoan thanh xuat sac nhiem vu", "htxsnv", "ht xuat sac nv", "hoan thanh xuat sac", "xuat sac",
        "ht xs nv", "htxs nv", "htxs",
    ),
    "rated_good": ("hoan thanh tot nhiem vu", "httnv", "ht tot nv", "hoan thanh tot", "ht tot", "htt nv", "htt"),
    "rated_complete": ("hoan thanh nhiem vu", "htnv", "ht nv", "hoan thanh", "ht"),
    "rated_failed": (
        "khong hoan thanh nhiem vu", "khtnv", "khong ht nv", "khong hoan thanh", "kht nv", "kht",
    ),
    "committee_members": (
        "cap uy vien", "cap uy", "uy vien cap uy", "ban chap hanh", "bch", "cap uy vien dang bo chi bo",
        "so cap uy vien", "uy vien ban chap hanh", "cap uy co so", "cap uy vien co so",
    ),
    "committee_female": ("cap uy vien nu", "cap uy nu", "nu cap uy vien", "nu cap uy", "uy vien nu", "bch nu"),
    "committee_youth": (
        "cap uy vien tre", "cap uy tre", "cap uy vien tre tuoi", "tre tuoi cap uy", "cap uy vien tre duoi 40 tuoi",
        "cap uy vien tre duoi 42 tuoi", "cap uy vien duoi 40 tuoi", "cap uy vien duoi 42 tuoi",
        "cap uy duoi 40 tuoi", "cap uy duoi 42 tuoi", "bch tre", "uy vien tre",
    ),
    "committee_ethnic_minority": (
        "cap uy vien dan toc thieu so", "cap uy dan toc thieu so", "cap uy vien dtts", "cap uy dtts",
        "bch dtts", "bch dan toc thieu so", "uy vien dan toc thieu so",
    ),
    "secretary_is_head": (
        "bi thu dong thoi la thu truong", "bi thu dong thoi la thu truong co quan don vi", "nhat the hoa",
        "bi thu kiem thu truong", "bi thu la thu truong", "bi thu dong thoi la thu truong don vi",
        "bi thu dong thoi la thu truong co quan", "bi thu dong thoi la thu truong don vi co quan",
        "bi thu cap uy dong thoi la thu truong", "bi thu dong thoi la thu truong chuyen mon",
        "bi thu dong thoi la thu truong co quan don vi nhat the hoa", "bi thu dong thoi la thu truong nhat the hoa",
        "nhat the hoa bi thu dong thoi la thu truong", "bi thu kiem chu tich", "bi thu dong thoi la chu tich",
    ),
    "members_opening": (
        "dang vien dau ky", "dau ky", "dv dau ky", "so dau ky", "dang vien co dau ky", "dang vien dau nam",
        "dau nam",
    ),
}

# Percent/ratio columns: (numerator, denominator). Values are "20%", "20,5%", 0.2 or "80/105".
RATIO_COLUMNS: dict[str, tuple[str, str]] = {
    "ty le nu": ("members_female", "members_total"),
    "ty le dang vien nu": ("members_female", "members_total"),
    "ty le dan toc thieu so": ("members_ethnic_minority", "members_total"),
    "ty le cap uy vien nu": ("committee_female", "committee_members"),
    "ty le cap uy nu": ("committee_female", "committee_members"),
    "ty le nu cap uy": ("committee_female", "committee_members"),
    "ty le cap uy vien tre": ("committee_youth", "committee_members"),
    "ty le cap uy tre": ("committee_youth", "committee_members"),
    "ty le tre cap uy": ("committee_youth", "committee_members"),
    "ty le cap uy vien dan toc thieu so": ("committee_ethnic_minority", "committee_members"),
    "ty le ket nap": ("admitted", "members_total"),
    "ty le htxsnv": ("rated_excellent", "rated_total"),
    "ty le hoan thanh xuat sac nhiem vu": ("rated_excellent", "rated_total"),
    "ty le httnv": ("rated_good", "rated_total"),
    "ty le hoan thanh tot nhiem vu": ("rated_good", "rated_total"),
    "ty le htnv": ("rated_complete", "rated_total"),
    "ty le khtnv": ("rated_failed", "rated_total"),
}

# Words that add nothing to a header's meaning. Removed before alias lookup.
_FILLER_PHRASES = (
    "trong do", "chia ra", "bao gom", "gom co", "gom", "tong so", "so luong", "tong cong",
    "trong ky", "trong nam", "trong quy", "trong thang", "bao cao", "nguoi", "dong chi", "d / c", "dc",
    "so", "cua", "la", "co", "hien nay", "tinh den", "den ngay", "tai thoi diem",
    "ca nhan", "toan bo", "cac", "nhung", "voi", "va", "moi nam", "luot", "doi voi", "theo",
)
_FILLER_RE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _FILLER_PHRASES), key=len, reverse=True)) + r")\b")
# formulas and column numbers written into headers: "(2)=(3)+(4)", "(5)", "3=4+5"
_FORMULA_RE = re.compile(r"\b\d+\s*(?:=\s*\d+(?:\s*[+\-]\s*\d+)*)?\s*$|\(\s*\d+\s*\)(?:\s*[=+\-]\s*\(\s*\d+\s*\))*")
_PARENS_RE = re.compile(r"\([^()]*\)")
_DATES_RE = re.compile(r"\b\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{2,4}\b|\bnam\s+\d{4}\b|\b\d{4}\b")
_NUMERIC_ONLY = re.compile(r"^[\d\s=+\-()/.,]*$")


def _core(folded: str) -> str:
    s = _DATES_RE.sub(" ", folded).replace("%", " ").replace("(", " ").replace(")", " ")
    s = _FILLER_RE.sub(" ", s)
    return " ".join(s.split())


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for target, aliases in _ALIASES.items():
        for alias in aliases:
            key = _core(fold(alias)) or fold(alias)
            other = table.get(key)
            if other is not None and other != target:
                raise ValueError(f"header alias {alias!r} names both {other} and {target}")
            table[key] = target
    return table


ALIAS_TABLE: dict[str, str] = _alias_table()
_RATIO_TABLE: dict[str, tuple[str, str]] = {_core(k): v for k, v in RATIO_COLUMNS.items()}

# A header segment that counts ("Số …", "Số lượng …", "Tổng số") rather than names
_COUNT_WORDS = re.compile(r"^(?:tong so|so luong|so)\b")

# A header that names party members itself keeps that meaning whatever the sheet title is about
_MEMBER_WORDS = re.compile(r"\b(?:dang vien|dv)\b")

# "Subject" words in an ancestor header that give a generic child ("Nữ", "Tổng số") its meaning.
_COMMITTEE_WORDS = ("cap uy", "ban chap hanh", "bch", "uy vien")
_DISCIPLINE_WORDS = ("ky luat",)
_RATING_WORDS = ("danh gia", "xep loai", "chat luong")


def segment_variants(segment: str) -> list[str]:
    """Folded variants of one header segment: formulas stripped, with and without parentheses."""
    f = fold(segment)
    if not f:
        return []
    no_formula = " ".join(_FORMULA_RE.sub(" ", f).split())
    out = []
    for cand in (no_formula, " ".join(_PARENS_RE.sub(" ", no_formula).split()), f):
        cand = cand.replace("(", " ").replace(")", " ")
        cand = " ".join(cand.split())
        if cand and cand not in out:
            out.append(cand)
    return out


def is_column_number_text(text: str) -> bool:
    """True for what stands in a column-number row: "1", "(2)", "3=4+5", "(2)=(3)+(4)", "A"."""
    t = text.strip()
    if not t:
        return False
    if len(t) == 1 and t.isalpha():
        return True
    if len(t) <= 3 and t.startswith("(") and t.endswith(")") and t[1:-1].isalpha():
        return True
    return bool(_NUMERIC_ONLY.match(t)) and any(ch.isdigit() for ch in t)


@lru_cache(maxsize=8192)
def _lookup(phrase: str) -> str | None:
    core = _core(phrase)
    if not core:
        return None
    return ALIAS_TABLE.get(core)


@lru_cache(maxsize=8192)
def match_header(path: tuple[str, ...], subject: str = "") -> str | None:
    """Map a header path (ancestors first, leaf last, as written) to a field or metric id.

    ``subject`` is a folded word from the sheet title ("dang vien" or "cap uy vien") used for a lone
    generic header such as "Tổng số" or "Nữ". Returns None when the header cannot be mapped.
    """
    segs: list[list[str]] = [v for v in (segment_variants(s) for s in path) if v]
    # drop repeated segments (a cell merged vertically appears once per header row)
    dedup: list[list[str]] = []
    for variants in segs:
        if not dedup or dedup[-1][0] != variants[0]:
            dedup.append(variants)
    if not dedup:
        return None
    n = len(dedup)
    # 1) the longest suffix of the path that names something, most specific first
    for start in range(n):
        for combo in _combos(dedup[start:]):
            hit = _lookup(combo)
            if hit:
                if hit == "name" and any(_COUNT_WORDS.match(v[0]) for v in dedup):
                    # "Số TCCS đảng", "Số lượng đảng bộ cơ sở", "Tổ chức cơ sở đảng / Tổng số": a count of
                    # organizations, not the column of their names
                    return None
                if n == 1 and subject and not _MEMBER_WORDS.search(dedup[0][0]):
                    # a lone "Nữ" on a sheet about committee members is a female committee member
                    return _contextualize(hit, [[subject]])
                return _contextualize(hit, dedup[:start])
    # 2) ratio columns
    for start in range(n):
        for combo in _combos(dedup[start:]):
            if _core(combo) in _RATIO_TABLE:
                return "ratio:" + _core(combo)
    # 3) a generic leaf with the sheet's subject
    if subject and n == 1:
        for combo in _combos(dedup):
            hit = _lookup(subject + " " + combo)
            if hit:
                return hit
    return None


def _combos(parts: list[list[str]]) -> list[str]:
    """Joined variants of consecutive header segments (bounded: at most 3 levels × 3 variants)."""
    out = [""]
    for variants in parts:
        out = [(prefix + " " + v).strip() for prefix in out for v in variants]
    return out


def _contextualize(hit: str, ancestors: list[list[str]]) -> str:
    """A leaf matched alone can mean something else under its ancestors ("Nữ" under "Cấp ủy")."""
    if not ancestors:
        return hit
    context = " ".join(v[0] for v in ancestors)
    committee = any(w in context for w in _COMMITTEE_WORDS) and "dang vien" not in context
    if committee:
        mapped = {
            "members_female": "committee_female",
            "members_ethnic_minority": "committee_ethnic_minority",
            "members_total": "committee_members",
        }.get(hit)
        if mapped:
            return mapped
    if any(w in context for w in _DISCIPLINE_WORDS) and hit == "expelled":
        return "disciplined_expulsion"
    if any(w in context for w in _RATING_WORDS) and hit == "members_total":
        return "rated_total"
    return hit


def ratio_spec(target: str) -> tuple[str, str] | None:
    if target.startswith("ratio:"):
        return _RATIO_TABLE.get(target[6:])
    return None


# --------------------------------------------------------------------------------------------
# Organization types
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tid, re.compile(p))
    for tid, p in (
        ("overseas", r"\b(ngoai nuoc|o nuoc ngoai|nuoc ngoai tccsd)\b"),
        ("foreign_invested", r"\b(fdi|von dau tu nuoc ngoai|dau tu nuoc ngoai|co von nuoc ngoai|von nuoc ngoai)\b"),
        ("soe_100", r"\b(100 %|100 phan tram|dnnn\b|nam giu 100|doanh nghiep nha nuoc$|^dn nha nuoc$)"),
        ("soe_minority", r"(< 50 %|< 50\b|duoi 50|khong chi phoi|thieu so von)"),
        ("soe_majority", r"(> 50 %|> 50\b|tren 50|tu 50 % tro len|tu 50 tro len|chi phoi|> = 50|>= 50)"),
        ("private_enterprise", r"\b(ngoai khu vuc nha nuoc|ngoai khu vuc nn|ngoai nha nuoc|ngoai nn|tu nhan|co phan|"
                               r"tnhh|hop danh|dn cp|dn tn|ngoai quoc doanh|doanh nghiep tu nhan|dntn|cong ty tnhh)\b"),
        ("cooperative", r"\b(hop tac xa|htx)\b"),
        ("public_service_unit", r"\b(don vi su nghiep|dvsn|su nghiep cong lap|su nghiep)\b"),
        ("party_front_agency", r"\b(co quan dang|mttq|mat tran|doan the|khoi dang|co quan dang mat tran)\b"),
        ("police", r"\b(cong an|ca tinh|ca huyen)\b"),
        ("army", r"\b(quan doi|quan su|luc luong vu trang|llvt|bo doi|bien phong|chqs)\b"),
        ("admin_agency", r"\b(co quan hanh chinh|cqhc|co quan nha nuoc|hanh chinh nha nuoc|chinh quyen|hanh chinh|"
                         r"co quan quan ly nha nuoc|qlnn)\b"),
        ("special_zone", r"\bdac khu\b"),
        ("township", r"\bthi tran\b"),
        ("ward", r"\bphuong\b"),
        ("commune", r"^(xa|cac xa|dang bo xa|khoi xa)$|^xa\b"),
        ("other", r"\b(loai hinh khac|khac)\b"),
    )
)
_TYPE_IDS_FOLDED = {fold(t): t for t in ORG_TYPE_IDS}


def match_org_type(text: str) -> str | None:
    """Organization type from a type cell or a group heading.

    For example "CQHC", "DN 100% vốn NN" or "Khối doanh nghiệp nhà nước".
    """
    f = fold(text)
    if not f:
        return None
    if f.replace(" ", "_") in ORG_TYPE_IDS:
        return f.replace(" ", "_")
    for tid, pattern in _TYPE_PATTERNS:
        if pattern.search(f):
            return tid
    return None


_NAME_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tid, re.compile(p))
    for tid, p in (
        ("special_zone", r"^(dang bo|chi bo)( co so)? dac khu\b"),
        ("township", r"^(dang bo|chi bo)( co so)? thi tran\b"),
        ("ward", r"^(dang bo|chi bo)( co so)? phuong\b"),
        ("commune", r"^(dang bo|chi bo)( co so)? xa\b"),
        ("police", r"^(dang bo|chi bo)( co so)? cong an\b"),
        ("army", r"^(dang bo|chi bo)( co so)? (quan su|ban chi huy quan su|bo chi huy quan su|bo doi bien phong|"
                 r"ban chqs|bo chqs|don bien phong|trung doan|lu doan|su doan)\b"),
        ("cooperative", r"^(dang bo|chi bo)( co so)? (hop tac xa|htx)\b"),
    )
)


def org_type_from_name(name: str) -> str | None:
    """Organization type implied by a name such as "Đảng bộ xã Tân An" or "Đảng bộ Công an tỉnh"."""
    f = fold(name)
    for tid, pattern in _NAME_TYPE_PATTERNS:
        if pattern.search(f):
            return tid
    return None
