"""Seeded generator of realistic sample workbooks, shaped like the forms officials really send.

Everything is drawn from ``random.Random(seed)`` (default 42): the same seed gives the same values, and
the three committed samples are written byte-identically (fixed zip timestamps and document dates).

Samples (see ``data/samples/README.md`` for their exact layout)::

    bloc_quarterly_2023_2026.xlsx   "Hướng dẫn" + 15 sheets "Quý I-2023" … "Quý III-2026", 105 TCCSĐ
    bloc_annual_2020_2024.xlsx      5 sheets "Năm 2020" … "Năm 2024", codes and types, total at the bottom
    commune_6thang_2025.xlsx        one commune committee, 25 chi bộ, 6 tháng đầu năm 2025

and, on request, a national-scale workbook (:func:`write_national`) for benchmarks.

What was written can be compared with what a loader reads through :func:`bloc_organizations`,
:func:`bloc_series`, :func:`commune_organizations` and :func:`commune_series`.

Command line::

    python data/samples/generate.py [OUTDIR] [--seed N]
    python -m loaders.samples national PATH [--organizations N] [--provinces N] [--communes N] [--seed N]
"""

from __future__ import annotations

import argparse
import copy
import math
import random
import re
import sys
import time
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

DEFAULT_SEED = 42

QUARTERLY_FILE = "bloc_quarterly_2023_2026.xlsx"
ANNUAL_FILE = "bloc_annual_2020_2024.xlsx"
COMMUNE_FILE = "commune_6thang_2025.xlsx"
SAMPLE_FILES = (QUARTERLY_FILE, ANNUAL_FILE, COMMUNE_FILE)

PROVINCE = "Thanh Hóa"
BLOC_ISSUER = "ĐẢNG BỘ KHỐI CÁC CƠ QUAN VÀ DOANH NGHIỆP TỈNH THANH HÓA"

# The bloc committee of domain.md: (org_type, organizations, members at the end of 2023-Q1).
BLOC_TYPE_TARGETS: tuple[tuple[str, int, int], ...] = (
    ("admin_agency", 49, 2978),
    ("public_service_unit", 17, 1342),
    ("soe_100", 16, 2179),
    ("soe_majority", 15, 1000),
    ("soe_minority", 1, 11),
    ("private_enterprise", 7, 331),
)
# Group headings of the quarterly form and the "Loại hình" abbreviations of the annual form.
GROUP_NAMES: dict[str, str] = {
    "admin_agency": "Cơ quan hành chính nhà nước",
    "public_service_unit": "Đơn vị sự nghiệp công lập",
    "soe_100": "Doanh nghiệp 100% vốn Nhà nước",
    "soe_majority": "Doanh nghiệp có vốn Nhà nước trên 50%",
    "soe_minority": "Doanh nghiệp có vốn Nhà nước dưới 50%",
    "private_enterprise": "Doanh nghiệp ngoài khu vực Nhà nước",
}
TYPE_ABBREVIATIONS: dict[str, str] = {
    "admin_agency": "CQHC",
    "public_service_unit": "ĐVSN",
    "soe_100": "DN 100% vốn NN",
    "soe_majority": "DN >50% vốn NN",
    "soe_minority": "DN <50% vốn NN",
    "private_enterprise": "DN ngoài NN",
}

YEARS: tuple[str, ...] = ("2020", "2021", "2022", "2023", "2024")
QUARTERS: tuple[str, ...] = tuple(
    f"{y}-Q{q}" for y in range(2023, 2027) for q in range(1, 5) if (y, q) <= (2026, 3)
)
COMMUNE_PERIOD = "2025-H1"
NEW_TERM_FROM = "2025-Q2"  # grassroots congresses for the 2025–2030 term: committees re-elected

MEMBER_STOCKS = (
    "members_total", "members_full", "members_probationary", "members_female",
    "members_ethnic_minority", "members_religious", "members_exempt",
)
INCREASES = ("admitted", "transferred_in", "reinstated")
DECREASES = ("deceased", "removed", "expelled", "resigned", "transferred_out")
DISCIPLINE = (
    "disciplined_total", "disciplined_reprimand", "disciplined_warning", "disciplined_dismissal",
    "disciplined_expulsion",
)
COMMITTEE = ("committee_members", "committee_female", "committee_youth", "committee_ethnic_minority")
RATINGS = ("rated_total", "rated_excellent", "rated_good", "rated_complete", "rated_failed")
FLOWS = INCREASES + DECREASES + ("recognized_full",) + DISCIPLINE + ("inspections", "supervisions")

# Metrics written in each form, in column order.
QUARTERLY_METRICS: tuple[str, ...] = (
    *MEMBER_STOCKS, *INCREASES, *DECREASES, "recognized_full", *DISCIPLINE, "inspections", "supervisions",
    *COMMITTEE, "secretary_is_head",
)
ANNUAL_METRICS: tuple[str, ...] = (
    "members_opening", *MEMBER_STOCKS, *INCREASES, *DECREASES, "recognized_full", *DISCIPLINE, "inspections",
    "supervisions", *RATINGS, *COMMITTEE, "secretary_is_head",
)
COMMUNE_METRICS: tuple[str, ...] = (
    "members_total", "members_full", "members_probationary", "members_female", "admitted", "recognized_full",
    "committee_members", "committee_female", "committee_youth",
)
NATIONAL_METRICS: tuple[str, ...] = (
    MEMBER_STOCKS + INCREASES + ("recognized_full",) + DECREASES + DISCIPLINE + RATINGS
    + ("committee_members", "committee_female", "committee_youth", "secretary_is_head")
)

_QUARTER_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_QUARTER_END = {1: (31, 3), 2: (30, 6), 3: (30, 9), 4: (31, 12)}
_FIXED_ZIP_TIME = (2026, 11, 1, 0, 0, 0)
_FIXED_DOC_TIME = "2026-11-01T00:00:00Z"


# ---------------------------------------------------------------------------------------------
# Small helpers

def roman(n: int) -> str:
    """Roman numeral for a group heading: 1 → "I", 34 → "XXXIV"."""
    out = []
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def vn_number(n: int) -> str:
    """An integer as Vietnamese officials type it as text: 7841 → "7.841"."""
    return f"{n:,}".replace(",", ".")


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if n > 200:
        return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return sum(1 for _ in range(n) if rng.random() < p)


def _split_total(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum`` (largest remainder)."""
    n = len(weights)
    if total < n * minimum:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    rest = total - n * minimum
    s = sum(weights)
    raw = [rest * w / s for w in weights]
    parts = [int(r) for r in raw]
    left = rest - sum(parts)
    for i in sorted(range(n), key=lambda i: parts[i] - raw[i])[:left]:
        parts[i] += 1
    return [minimum + p for p in parts]


def _quarter_parts(period: str) -> tuple[int, int]:
    y, q = period.split("-Q")
    return int(y), int(q)


def _sum_rows(rows: list[dict[str, int]], metrics: tuple[str, ...]) -> dict[str, int]:
    return {m: sum(r[m] for r in rows) for m in metrics}


# ---------------------------------------------------------------------------------------------
# The bloc committee: organizations

# (base name, relative size). The order is the official listing order inside a group.
_BLOC_NAMES: dict[str, tuple[tuple[str, float], ...]] = {
    "admin_agency": (
        ("Văn phòng Ủy ban nhân dân tỉnh", 1.3), ("Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh", 0.7),
        ("Sở Nội vụ", 1.0), ("Sở Tài chính", 1.2), ("Sở Kế hoạch và Đầu tư", 1.1), ("Sở Tư pháp", 0.8),
        ("Sở Công Thương", 1.1), ("Sở Nông nghiệp và Phát triển nông thôn", 1.4), ("Sở Xây dựng", 1.0),
        ("Sở Giao thông vận tải", 1.2), ("Sở Tài nguyên và Môi trường", 1.2),
        ("Sở Lao động - Thương binh và Xã hội", 1.0), ("Sở Văn hóa, Thể thao và Du lịch", 1.1),
        ("Sở Khoa học và Công nghệ", 0.7), ("Sở Giáo dục và Đào tạo", 1.2), ("Sở Y tế", 1.0),
        ("Sở Thông tin và Truyền thông", 0.6), ("Sở Ngoại vụ", 0.4), ("Thanh tra tỉnh", 0.6),
        ("Ban Dân tộc tỉnh", 0.4), ("Ban Quản lý Khu kinh tế Nghi Sơn và các khu công nghiệp", 1.0),
        ("Cục Thuế tỉnh", 2.5), ("Chi cục Thuế khu vực Nghi Sơn", 0.6), ("Cục Hải quan tỉnh", 1.0),
        ("Chi cục Hải quan cửa khẩu cảng Nghi Sơn", 0.5), ("Kho bạc Nhà nước tỉnh", 1.6),
        ("Cục Thống kê tỉnh", 0.8), ("Ngân hàng Nhà nước Chi nhánh tỉnh", 0.6), ("Bảo hiểm xã hội tỉnh", 1.8),
        ("Cục Thi hành án dân sự tỉnh", 1.0), ("Cục Quản lý thị trường tỉnh", 1.0), ("Cảng vụ Hàng hải", 0.4),
        ("Chi cục Kiểm lâm", 1.5), ("Chi cục Thủy lợi", 0.5), ("Chi cục Chăn nuôi và Thú y", 0.5),
        ("Chi cục Trồng trọt và Bảo vệ thực vật", 0.5), ("Chi cục Quản lý chất lượng nông lâm sản và thủy sản", 0.3),
        ("Chi cục Phát triển nông thôn", 0.3), ("Chi cục Thủy sản", 0.4),
        ("Chi cục Tiêu chuẩn Đo lường Chất lượng", 0.3),
        ("Chi cục Dân số - Kế hoạch hóa gia đình", 0.3), ("Chi cục An toàn vệ sinh thực phẩm", 0.3),
        ("Chi cục Văn thư - Lưu trữ", 0.3), ("Chi cục Bảo vệ môi trường", 0.3), ("Chi cục Biển và Hải đảo", 0.25),
        ("Chi cục Giám định xây dựng", 0.25), ("Chi cục Đê điều và Phòng, chống thiên tai", 0.3),
        ("Ban Thi đua - Khen thưởng", 0.3), ("Ban Tôn giáo", 0.25), ("Thanh tra Sở Giao thông vận tải", 0.4),
        ("Trung tâm Phục vụ hành chính công tỉnh", 0.4),
        ("Văn phòng Điều phối chương trình xây dựng nông thôn mới", 0.25),
    ),
    "public_service_unit": (
        ("Trường Đại học Hồng Đức", 4.0), ("Trường Đại học Văn hóa, Thể thao và Du lịch", 2.0),
        ("Trường Cao đẳng Y tế", 1.5), ("Trường Cao đẳng Nông Lâm", 1.0), ("Trường Cao đẳng Nghề Công nghiệp", 1.2),
        ("Trường Cao đẳng Văn hóa Nghệ thuật", 0.8), ("Bệnh viện Đa khoa tỉnh", 4.5), ("Bệnh viện Nhi", 2.0),
        ("Bệnh viện Phụ sản", 1.8), ("Bệnh viện Y dược cổ truyền", 0.9), ("Bệnh viện Phổi", 0.7),
        ("Bệnh viện Tâm thần", 0.6), ("Bệnh viện Mắt", 0.5), ("Đài Phát thanh và Truyền hình tỉnh", 1.5),
        ("Trung tâm Kiểm soát bệnh tật tỉnh", 1.2),
        ("Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp", 0.6),
        ("Trung tâm Công nghệ thông tin và Truyền thông", 0.3), ("Viện Nông nghiệp", 0.7),
        ("Nhà hát Nghệ thuật truyền thống", 0.5), ("Thư viện tỉnh", 0.3),
        ("Trung tâm Xúc tiến đầu tư, thương mại và du lịch", 0.3),
    ),
    "soe_100": tuple(("Công ty TNHH MTV " + n, w) for n, w in (
        ("Xổ số kiến thiết", 0.5), ("Thủy lợi Bắc Sông Mã", 1.8), ("Thủy lợi Nam Sông Mã", 1.6),
        ("Thủy lợi Sông Chu", 1.8), ("Lâm nghiệp Lang Chánh", 0.8), ("Lâm nghiệp Như Xuân", 0.9),
        ("Lâm nghiệp Thạch Thành", 0.8), ("Lâm nghiệp Ngọc Lặc", 0.8), ("Lâm nghiệp Bá Thước", 0.6),
        ("Lâm nghiệp Triệu Sơn", 0.5), ("Sông Âm", 0.9), ("Sông Lò", 0.7), ("Nông nghiệp Thống Nhất", 2.5),
        ("Nông nghiệp Lam Sơn", 1.5), ("Đầu tư phát triển hạ tầng khu kinh tế", 0.6), ("Quản lý đường bộ", 1.2),
        ("Cấp nước Nghi Sơn", 0.7), ("Khai thác công trình thủy lợi Như Thanh", 0.6),
    )),
    "soe_majority": tuple(("Công ty Cổ phần " + n, w) for n, w in (
        ("Cấp nước", 2.0), ("Môi trường và Công trình đô thị", 1.8), ("Quản lý và Xây dựng cầu đường", 1.2),
        ("Dược - Vật tư y tế", 1.0), ("Sách và Thiết bị trường học", 0.6), ("Xuất nhập khẩu Nông sản", 0.6),
        ("In báo", 0.4), ("Giống cây trồng", 0.7), ("Giống thủy sản", 0.4), ("Vận tải ô tô", 0.8),
        ("Tư vấn xây dựng giao thông", 0.6), ("Khai thác khoáng sản", 0.9), ("Đăng kiểm xe cơ giới", 0.5),
        ("Bến xe", 0.5), ("Xây dựng thủy lợi", 0.8), ("Du lịch và Dịch vụ Sầm Sơn", 0.6), ("Phát hành sách", 0.3),
    )),
    "soe_minority": (("Công ty Cổ phần Môi trường Đô thị", 1.0), ("Công ty Cổ phần Cơ khí Xây dựng", 1.0)),
    "private_enterprise": (
        ("Công ty TNHH Xây dựng Trường Thịnh", 1.0), ("Công ty Cổ phần Tập đoàn Hoàng Long", 1.5),
        ("Công ty TNHH Thương mại và Dịch vụ Hà Trung", 0.7), ("Công ty Cổ phần Đầu tư Xây dựng Hoàng Hưng", 1.0),
        ("Công ty TNHH Vận tải Hưng Phát", 0.6), ("Công ty Cổ phần Vật liệu xây dựng Phú Sơn", 0.8),
        ("Công ty TNHH Dịch vụ bảo vệ Đông Á", 0.7), ("Công ty Cổ phần Tập đoàn Xây dựng Phương Nam", 1.2),
    ),
}

# Per type: (female share range, yearly admission rate, yearly transfer rate, secretary-is-head probability)
_TYPE_PROFILE: dict[str, tuple[tuple[float, float], float, float, float]] = {
    "admin_agency": ((0.38, 0.52), 0.025, 0.045, 0.55),
    "public_service_unit": ((0.45, 0.65), 0.040, 0.035, 0.60),
    "soe_100": ((0.15, 0.35), 0.020, 0.040, 0.75),
    "soe_majority": ((0.25, 0.45), 0.022, 0.045, 0.70),
    "soe_minority": ((0.30, 0.50), 0.030, 0.060, 0.50),
    "private_enterprise": ((0.25, 0.45), 0.035, 0.080, 0.45),
}


@dataclass
class _Org:
    code: str
    name: str
    org_type: str
    size: int  # members at the end of 2023-Q1
    female: float
    ethnic: float
    religious: float


def _make_bloc_orgs(rng: random.Random) -> list[_Org]:
    orgs: list[_Org] = []
    for org_type, count, members in BLOC_TYPE_TARGETS:
        names = _BLOC_NAMES[org_type]
        chosen = sorted(rng.sample(range(len(names)), count))
        weights = [names[i][1] * rng.lognormvariate(0.0, 0.35) for i in chosen]
        sizes = [members] if count == 1 else _split_total(members, weights, minimum=9)
        (flo, fhi), *_ = _TYPE_PROFILE[org_type]
        for i, size in zip(chosen, sizes, strict=True):
            base = names[i][0]
            prefix = "Đảng bộ" if size >= 30 else "Chi bộ"
            ethnic = rng.uniform(0.15, 0.40) if "Lâm nghiệp" in base else rng.uniform(0.0, 0.07)
            orgs.append(_Org(
                code=f"TCCS-{len(orgs) + 1:03d}", name=f"{prefix} {base}", org_type=org_type, size=size,
                female=rng.uniform(flo, fhi), ethnic=ethnic, religious=rng.uniform(0.0, 0.03),
            ))
    return orgs


# ---------------------------------------------------------------------------------------------
# The bloc committee: values over time

def _draw_flows(rng: random.Random, org: _Org, base: int, frac: float, adm_weight: float) -> dict[str, int]:
    """Flows of one organization over ``frac`` of a year, for about ``base`` members."""
    _, adm_rate, transfer_rate, _ = _TYPE_PROFILE[org.org_type]
    f: dict[str, int] = {
        "admitted": _poisson(rng, adm_rate * base * frac * adm_weight),
        "transferred_in": _poisson(rng, transfer_rate * base * frac),
        "reinstated": _poisson(rng, 0.0003 * base * frac),
        "deceased": _poisson(rng, 0.002 * base * frac),
        "removed": _poisson(rng, 0.0008 * base * frac),
        "resigned": _poisson(rng, 0.0004 * base * frac),
        "transferred_out": _poisson(rng, (transfer_rate + 0.004) * base * frac),
    }
    forms = {"disciplined_reprimand": 0, "disciplined_warning": 0, "disciplined_dismissal": 0,
             "disciplined_expulsion": 0}
    for _ in range(_poisson(rng, 0.005 * base * frac)):
        u = rng.random()
        key = ("disciplined_reprimand" if u < 0.62 else "disciplined_warning" if u < 0.9
               else "disciplined_dismissal" if u < 0.96 else "disciplined_expulsion")
        forms[key] += 1
    f.update(forms)
    f["disciplined_total"] = sum(forms.values())
    f["expelled"] = forms["disciplined_expulsion"]  # expulsion as a discipline takes the member off the rolls
    big = base >= 30
    f["inspections"] = _poisson(rng, (0.8 if big else 0.35) * 4 * frac)
    f["supervisions"] = _poisson(rng, (1.2 if big else 0.5) * 4 * frac)
    return f


def _net(f: dict[str, int]) -> int:
    return sum(f[k] for k in INCREASES) - sum(f[k] for k in DECREASES)


def _outflow(f: dict[str, int]) -> int:
    return sum(f[k] for k in DECREASES)


_SEASON = {1: 0.8, 2: 1.2, 3: 0.8, 4: 1.2}  # admissions cluster around 3/2 and 19/5, and at year end


def _committee(rng: random.Random, org: _Org, size: int, new_term: bool) -> dict[str, int]:
    if size < 30:
        members = 3 if size < 20 else rng.choice((3, 3, 5))
    elif size < 80:
        members = rng.choice((5, 5, 7))
    elif size < 200:
        members = rng.choice((7, 7, 9))
    else:
        members = 9
    female = min(members, _binomial(rng, members, org.female * 0.75))
    youth = _binomial(rng, members, 0.22 if new_term else 0.15)
    ethnic = min(members, _binomial(rng, members, min(0.5, org.ethnic * 1.2)))
    return {"committee_members": members, "committee_female": female, "committee_youth": youth,
            "committee_ethnic_minority": ethnic}


def _drift_committee(rng: random.Random, c: dict[str, int], full: dict[str, int], p: float) -> dict[str, int]:
    """A committee between congresses: a member now and then leaves, and is replaced later."""
    c = dict(c)
    u = rng.random()
    if u < p and c["committee_members"] > 3:
        c["committee_members"] -= 1
        if c["committee_female"] and rng.random() < 0.4:
            c["committee_female"] -= 1
    elif u < 2 * p and c["committee_members"] < full["committee_members"]:
        c["committee_members"] += 1
    for k in ("committee_female", "committee_youth", "committee_ethnic_minority"):
        c[k] = min(c[k], c["committee_members"])
    return c


def _ratings(rng: random.Random, total: int, exempt: int, probationary: int) -> dict[str, int]:
    recent = min(probationary, _poisson(rng, 0.3 * probationary))  # admitted too recently to be rated
    rated = max(0, total - exempt - recent)
    unclassified = 1 if rated > 20 and rng.random() < 0.06 else 0  # long sick leave: rated_total but no class
    n = rated - unclassified
    failed = _binomial(rng, n, 0.003)
    complete = _binomial(rng, n - failed, 0.05)
    rest = n - failed - complete
    excellent = min(round(rest * rng.uniform(0.10, 0.17)), rest // 6)  # ≤ 20% of good (Quy định 366)
    return {"rated_total": rated, "rated_excellent": excellent, "rated_good": rest - excellent,
            "rated_complete": complete, "rated_failed": failed}


@dataclass
class _BlocModel:
    orgs: list[_Org]
    series: dict[str, dict[str, dict[str, int]]]


@lru_cache(maxsize=8)
def _bloc_model(seed: int) -> _BlocModel:
    rng = random.Random(seed)
    orgs = _make_bloc_orgs(rng)
    chain = list(YEARS[:3]) + list(QUARTERS)  # 2020, 2021, 2022 (annual flows), then the quarters
    rec: dict[str, dict[str, dict[str, int]]] = {p: {} for p in chain}
    opening_2020: dict[str, int] = {}

    for org in orgs:
        # 1) flows for 2020–2022 and 2023-Q1, drawn around the 2023-Q1 size; totals derived backwards
        for _attempt in range(200):
            early = {p: _draw_flows(rng, org, org.size, 1.0, 1.0) for p in YEARS[:3]}
            early["2023-Q1"] = _draw_flows(rng, org, org.size, 0.25, _SEASON[1])
            adm_2019 = _poisson(rng, _TYPE_PROFILE[org.org_type][1] * org.size)
            closes = {"2023-Q1": org.size}
            prev = "2023-Q1"
            for p in ("2022", "2021", "2020"):
                closes[p] = closes[prev] - _net(early[prev])
                prev = p
            close_2019 = closes["2020"] - _net(early["2020"])
            # probationary members forward: each year's admissions are recognized the next year
            a2022 = early["2022"]["admitted"]
            split = [0, 0, 0, 0]
            for _ in range(a2022):
                split[rng.choices(range(4), weights=(0.8, 1.2, 0.8, 1.2))[0]] += 1
            prob = {"2020": early["2020"]["admitted"], "2021": early["2021"]["admitted"], "2022": a2022}
            prob["2023-Q1"] = a2022 - split[0] + early["2023-Q1"]["admitted"]
            recognized = {"2020": adm_2019, "2021": prob["2020"], "2022": prob["2021"], "2023-Q1": split[0]}
            fulls = [close_2019 - adm_2019] + [closes[p] - prob[p] for p in ("2020", "2021", "2022", "2023-Q1")]
            ok = min(fulls) >= 6 and all(
                closes[p] - prob[p] >= 6 and _outflow(early[p]) <= closes[p] // 3 for p in closes
            )
            if ok:
                break
        else:  # pragma: no cover - sizes are ≥ 9 and flows small; this never happens
            raise RuntimeError(f"could not draw a history for {org.code}")
        opening_2020[org.code] = close_2019
        for p in ("2020", "2021", "2022", "2023-Q1"):
            f = dict(early[p])
            f["recognized_full"] = recognized[p]
            f["members_total"] = closes[p]
            f["members_probationary"] = prob[p]
            f["members_full"] = closes[p] - prob[p]
            rec[p][org.code] = f
        # 2) later quarters forward: flows first, then the closing
        for i, p in enumerate(QUARTERS[1:], start=1):
            year, q = _quarter_parts(p)
            last = rec[QUARTERS[i - 1]][org.code]
            f = _draw_flows(rng, org, last["members_total"], 0.25, _SEASON[q])
            if p == "2025-Q3" and rng.random() < 0.25:  # officials moved around when agencies merged (1/7/2025)
                f["transferred_in"] += _poisson(rng, 0.05 * last["members_total"])
                f["transferred_out"] += _poisson(rng, 0.06 * last["members_total"])
            if year == 2023:
                f["recognized_full"] = split[q - 1]
            else:
                f["recognized_full"] = rec[QUARTERS[i - 4]][org.code]["admitted"]
            full = last["members_full"] + f["recognized_full"] + f["transferred_in"] + f["reinstated"]
            while full - _outflow(f) < 6 and f["transferred_out"] > 0:
                f["transferred_out"] -= 1
            f["members_probationary"] = last["members_probationary"] + f["admitted"] - f["recognized_full"]
            f["members_full"] = full - _outflow(f)
            f["members_total"] = f["members_full"] + f["members_probationary"]
            rec[p][org.code] = f

    # 3) the other stocks, forward over the whole chain
    for org in orgs:
        female, exempt = org.female, 0 if rng.random() < 0.6 else rng.randint(1, 2)
        sec_p = _TYPE_PROFILE[org.org_type][3]
        term = _committee(rng, org, org.size, new_term=False)
        committee = dict(term)
        secretary = 1 if rng.random() < sec_p else 0
        for p in chain:
            r = rec[p][org.code]
            total = r["members_total"]
            female = min(0.9, max(0.05, female + rng.gauss(0, 0.004)))
            if rng.random() < 0.06:
                exempt = max(0, exempt + rng.choice((-1, 1)))
            if p == NEW_TERM_FROM:
                term = _committee(rng, org, total, new_term=True)
                committee = dict(term)
                secretary = 1 if rng.random() < min(0.95, sec_p + 0.15) else 0
            else:
                committee = _drift_committee(rng, committee, term, 0.04 if "Q" in p else 0.12)
            r["members_female"] = min(total, round(total * female))
            r["members_ethnic_minority"] = min(total, round(total * org.ethnic))
            r["members_religious"] = min(total, round(total * org.religious))
            r["members_exempt"] = min(exempt, r["members_full"])
            r.update(committee)
            r["secretary_is_head"] = secretary

    series: dict[str, dict[str, dict[str, int]]] = {}
    for p in QUARTERS:
        series[p] = {o.code: {m: rec[p][o.code][m] for m in QUARTERLY_METRICS} for o in orgs}
    # annual: 2020–2022 as drawn, 2023–2024 as the sum of their quarters (stocks: the fourth quarter)
    yearly: dict[str, dict[str, dict[str, int]]] = {y: rec[y] for y in YEARS[:3]}
    for y in ("2023", "2024"):
        yearly[y] = {}
        for o in orgs:
            qs = [rec[f"{y}-Q{q}"][o.code] for q in range(1, 5)]
            row = dict(qs[-1])
            for m in FLOWS:
                row[m] = sum(q[m] for q in qs)
            yearly[y][o.code] = row
    previous_close = dict(opening_2020)
    for y in YEARS:
        series[y] = {}
        for o in orgs:
            row = dict(yearly[y][o.code])
            row["members_opening"] = previous_close[o.code]
            row.update(_ratings(rng, row["members_total"], row["members_exempt"], row["members_probationary"]))
            series[y][o.code] = {m: row[m] for m in ANNUAL_METRICS}
            previous_close[o.code] = row["members_total"]
    ordered = {p: series[p] for p in YEARS + QUARTERS}
    return _BlocModel(orgs=orgs, series=ordered)


def bloc_organizations(seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """The bloc committee's 105 grassroots organizations, in sheet order: ``code``, ``name``, ``org_type``.

    ``code`` ("TCCS-001" …) is written only in the annual workbook; the quarterly form names organizations only.
    """
    return [{"code": o.code, "name": o.name, "org_type": o.org_type} for o in _bloc_model(seed).orgs]


def bloc_series(seed: int = DEFAULT_SEED) -> dict[str, dict[str, dict[str, int]]]:
    """What the bloc workbooks hold: ``{period_id: {code: {metric_id: int}}}``.

    Periods "2020" … "2024" (the annual workbook; their dicts also carry ``members_opening``, the
    auxiliary "Đảng viên đầu năm" column) and "2023-Q1" … "2026-Q3" (the quarterly workbook). Each dict has
    exactly the metrics written in that form (:data:`ANNUAL_METRICS`, :data:`QUARTERLY_METRICS`);
    ``secretary_is_head`` is 0/1 (written as 1 or blank). Annual 2023 and 2024 are the sums of their quarters
    (stocks: the fourth quarter's), and the 2022 closing is the 2023-Q1 opening.
    """
    return copy.deepcopy(_bloc_model(seed).series)


# ---------------------------------------------------------------------------------------------
# The commune committee (6 tháng đầu năm 2025)

COMMUNE_NAME = "Thiệu Trung"
_COMMUNE_GROUPS = (("A", "Chi bộ nông thôn"), ("B", "Chi bộ cơ quan, đơn vị"))
_VILLAGES = (
    "Đông", "Đoài", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Yên Lạc", "Phú Điền", "Đồng Tâm", "Hòa Bình",
    "Tân Lập", "Quyết Thắng", "Thành Công", "Xuân Phong", "Kim Sơn", "Nguyệt Viên", "Chí Cường",
)
_COMMUNE_AGENCIES: tuple[tuple[str, str | None], ...] = (
    ("Chi bộ Cơ quan Đảng - Đoàn thể", "party_front_agency"),
    ("Chi bộ Cơ quan Ủy ban nhân dân xã", "admin_agency"),
    ("Chi bộ Công an xã", "police"),
    ("Chi bộ Quân sự xã", "army"),
    ("Chi bộ Trường Mầm non", "public_service_unit"),
    ("Chi bộ Trường Tiểu học", "public_service_unit"),
    ("Chi bộ Trường Trung học cơ sở", "public_service_unit"),
    ("Chi bộ Trạm Y tế xã", "public_service_unit"),
    ("Chi bộ Hợp tác xã dịch vụ nông nghiệp", "cooperative"),
)


@dataclass
class _CommuneModel:
    orgs: list[dict[str, Any]]
    values: dict[str, dict[str, int]]


@lru_cache(maxsize=8)
def _commune_model(seed: int) -> _CommuneModel:
    rng = random.Random(f"commune-{seed}")
    villages = sorted(rng.sample(range(len(_VILLAGES)), 16))
    orgs: list[dict[str, Any]] = []
    for i in villages:
        orgs.append({"name": f"Chi bộ thôn {_VILLAGES[i]}", "group": "A", "org_type": None})
    for name, org_type in _COMMUNE_AGENCIES:
        orgs.append({"name": name, "group": "B", "org_type": org_type})
    values: dict[str, dict[str, int]] = {}
    for k, o in enumerate(orgs, start=1):
        o["code"] = f"CB-{k:02d}"
        rural = o["group"] == "A"
        total = max(5, round(rng.lognormvariate(math.log(38 if rural else 12), 0.35)))
        female_share = rng.uniform(0.25, 0.40) if rural else (
            rng.uniform(0.65, 0.9) if "Trường" in o["name"] or "Y tế" in o["name"] else rng.uniform(0.1, 0.35))
        admitted = _poisson(rng, (0.012 if rural else 0.03) * total)
        prob = min(total - 3, admitted + _poisson(rng, (0.01 if rural else 0.025) * total))
        recognized = _poisson(rng, 0.5 * prob + 0.3)
        committee = 3 if total >= 9 else 1
        values[o["code"]] = {
            "members_total": total, "members_full": total - prob, "members_probationary": prob,
            "members_female": min(total, round(total * female_share)), "admitted": admitted,
            "recognized_full": recognized, "committee_members": committee,
            "committee_female": _binomial(rng, committee, female_share * 0.8),
            "committee_youth": _binomial(rng, committee, 0.15 if rural else 0.4),
        }
    return _CommuneModel(orgs=orgs, values=values)


def commune_organizations(seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """The commune committee's 25 chi bộ in sheet order: ``code`` (not written), ``name``, ``group`` ("A"/"B"),
    ``org_type`` (None for village cells)."""
    return copy.deepcopy(_commune_model(seed).orgs)


def commune_series(seed: int = DEFAULT_SEED) -> dict[str, dict[str, dict[str, int]]]:
    """What the commune workbook holds: ``{"2025-H1": {code: {metric_id: int}}}`` (:data:`COMMUNE_METRICS`)."""
    return {COMMUNE_PERIOD: copy.deepcopy(_commune_model(seed).values)}


# ---------------------------------------------------------------------------------------------
# Sheet layout: columns, multi-row headers, styles

@dataclass(frozen=True)
class _Col:
    path: tuple[str, ...]  # header labels, top level first; () for the blank spacer column
    key: str | None  # metric id, or "stt", "code", "name", "type", "note"; None for the spacer
    width: float
    number: str = ""  # text of the column-number row


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "Times New Roman"
_F_BODY = Font(name=_FONT, size=11)
_F_BOLD = Font(name=_FONT, size=11, bold=True)
_F_ITALIC = Font(name=_FONT, size=11, italic=True)
_F_TITLE = Font(name=_FONT, size=13, bold=True)
_F_HEAD = Font(name=_FONT, size=10, bold=True)
_F_NUMROW = Font(name=_FONT, size=9, italic=True)
_F_ISSUER = Font(name=_FONT, size=12, bold=True)
_F_ISSUER_PLAIN = Font(name=_FONT, size=12)
_F_PARTY = Font(name=_FONT, size=12, bold=True, underline="single")
_A_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_A_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_A_RIGHT = Alignment(horizontal="right", vertical="center")
_A_TEXT_LEFT = Alignment(horizontal="left")
_A_TEXT_RIGHT = Alignment(horizontal="right")
_NUM = "#,##0"


class _Styles:
    """Applies (font, alignment, border, number format) to cells of one workbook.

    The first cell of a combination goes through openpyxl's style descriptors; later cells copy its style array,
    which is several times faster for the thousands of body cells.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple, Any] = {}

    def apply(self, cell: Any, font: Font, align: Alignment | None = None, border: Border | None = None,
              fmt: str | None = None) -> None:
        key = (id(font), id(align), id(border), fmt)
        array = self._arrays.get(key)
        if array is not None:
            cell._style = copy.copy(array)
            return
        cell.font = font
        if align is not None:
            cell.alignment = align
        if border is not None:
            cell.border = border
        if fmt is not None:
            cell.number_format = fmt
        self._arrays[key] = copy.copy(cell._style)


def _header_cells(cols: list[_Col], depth: int, top: int) -> tuple[dict[tuple[int, int], str], list[tuple]]:
    """Header labels by (row, col) (1-based) and merged ranges (r1, c1, r2, c2) for a ``depth``-row header."""
    cells: dict[tuple[int, int], str] = {}
    merges: list[tuple[int, int, int, int]] = []
    bottom = top + depth - 1
    for level in range(depth):
        c = 0
        while c < len(cols):
            path = cols[c].path
            if len(path) <= level:
                c += 1
                continue
            prefix = path[: level + 1]
            end = c
            while end + 1 < len(cols) and cols[end + 1].path[: level + 1] == prefix and len(cols[end + 1].path) > level:
                end += 1
            row = top + level
            cells[(row, c + 1)] = path[level]
            if len(path) == level + 1:  # a leaf: down to the bottom header row
                if row < bottom:
                    merges.append((row, c + 1, bottom, c + 1))
            elif end > c:  # a parent over its children
                merges.append((row, c + 1, row, end + 1))
            c = end + 1
    return cells, merges


def _merge(ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> None:
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _put(ws: Worksheet, row: int, col: int, value: Any, font: Font = _F_BODY, align: Alignment = _A_CENTER,
         span: int = 1) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.font = font
    cell.alignment = align
    _merge(ws, row, col, row, col + span - 1)


@dataclass
class _Form:
    left: tuple[str, ...]  # issuing block, top-left (first line plain, second bold, then "*")
    right: tuple[str, str]  # "ĐẢNG CỘNG SẢN VIỆT NAM", place and date
    form_no: str
    title: str
    subtitle: str
    cols: list[_Col]
    depth: int  # header rows
    numbers_as_ints: bool  # column-number row "1 2 3=4+5" (ints where plain) rather than "(1) (2) (3)=(4)+(5)"
    note: str
    signer_left: tuple[str, str]  # ("NGƯỜI LẬP BIỂU", name)
    signer_right: tuple[str, ...]  # ("T/M BAN THƯỜNG VỤ", "TRƯỞNG BAN", name)
    freeze_cols: int  # columns kept visible when scrolling right
    left_span: int  # columns of the issuing block
    right_span: int


HEADER_TOP = 8  # first header row of every committed sample


def _render(ws: Worksheet, form: _Form, body: list[tuple[str, list[Any]]], styles: _Styles) -> dict[str, int]:
    """Write one official form. ``body`` rows are ("total" | "group" | "org", values in column order)."""
    cols = form.cols
    ncol = len(cols)
    right_col = ncol - form.right_span + 1
    # issuing block and party line
    for i, text in enumerate(form.left):
        font = _F_ISSUER_PLAIN if i == 0 and len(form.left) > 2 else _F_ISSUER
        _put(ws, 1 + i, 1, text, font, _A_CENTER, form.left_span)
    _put(ws, 1, right_col, form.right[0], _F_PARTY, _A_CENTER, form.right_span)
    _put(ws, 2, right_col, form.right[1], _F_ITALIC, _A_CENTER, form.right_span)
    _put(ws, 4, 1, form.form_no, _F_ITALIC, _A_LEFT, form.left_span)
    _put(ws, 5, 1, form.title, _F_TITLE, _A_CENTER, ncol)
    _put(ws, 6, 1, form.subtitle, _F_ITALIC, _A_CENTER, ncol)
    _put(ws, 7, right_col, "Đơn vị tính: đảng viên", _F_ITALIC, _A_RIGHT, form.right_span)
    ws.row_dimensions[5].height = 21
    # header
    top = HEADER_TOP
    bottom = top + form.depth - 1
    cells, merges = _header_cells(cols, form.depth, top)
    for c, col in enumerate(cols, start=1):
        if col.path:
            for r in range(top, bottom + 1):
                styles.apply(ws.cell(row=r, column=c, value=cells.get((r, c))), _F_HEAD, _A_CENTER, _BORDER)
    for m in merges:
        _merge(ws, *m)
    for r in range(top, bottom + 1):
        ws.row_dimensions[r].height = 30 if r < bottom else 66
    # column-number row
    numrow = bottom + 1
    for c, col in enumerate(cols, start=1):
        if not col.path:
            continue
        value: Any = col.number
        if form.numbers_as_ints and value.isdigit():
            value = int(value)
        styles.apply(ws.cell(row=numrow, column=c, value=value), _F_NUMROW, _A_CENTER, _BORDER)
    # body
    first = numrow + 1
    for i, (kind, values) in enumerate(body):
        r = first + i
        font = _F_BODY if kind == "org" else _F_BOLD
        for c, (col, value) in enumerate(zip(cols, values, strict=True), start=1):
            if not col.path:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if col.key in ("name", "note"):
                styles.apply(cell, font, _A_LEFT, _BORDER)
            elif col.key in ("stt", "code", "type"):
                styles.apply(cell, font, _A_CENTER, _BORDER)
            elif isinstance(value, str):
                styles.apply(cell, font, _A_TEXT_RIGHT if value == "-" else _A_TEXT_LEFT, _BORDER, _NUM)
            else:
                styles.apply(cell, font, None, _BORDER, _NUM)
    last = first + len(body) - 1
    # note and signatures
    note_row = last + 2
    _put(ws, note_row, 1, form.note, _F_ITALIC, _A_LEFT, min(ncol, 16))
    ws.row_dimensions[note_row].height = 30
    sig = note_row + 2
    _put(ws, sig, 1, form.signer_left[0], _F_BOLD, _A_CENTER, form.left_span)
    for i, text in enumerate(form.signer_right[:-1]):
        _put(ws, sig + i, right_col, text, _F_BOLD, _A_CENTER, form.right_span)
    name_row = sig + 5
    _put(ws, name_row, 1, form.signer_left[1], _F_BOLD, _A_CENTER, form.left_span)
    _put(ws, name_row, right_col, form.signer_right[-1], _F_BOLD, _A_CENTER, form.right_span)
    # columns, panes, printing
    for c, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.freeze_panes = ws.cell(row=first, column=form.freeze_cols + 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{top}:{numrow}"
    return {"header_top": top, "header_bottom": bottom, "number_row": numrow, "body_first": first,
            "body_last": last, "note_row": note_row, "signature_row": sig}


def _member_cols(annual: bool) -> list[_Col]:
    block = "Số lượng đảng viên (cuối năm)" if annual else "Số lượng đảng viên"
    return [
        _Col((block, "Tổng số"), "members_total", 8.5),
        _Col((block, "Chia ra", "Chính thức"), "members_full", 8.5),
        _Col((block, "Chia ra", "Dự bị"), "members_probationary", 7),
        _Col((block, "Trong đó", "Nữ"), "members_female", 7.5),
        _Col((block, "Trong đó", "Dân tộc thiểu số"), "members_ethnic_minority", 7.5),
        _Col((block, "Trong đó", "Tôn giáo"), "members_religious", 7),
        _Col((block, "Trong đó", "Miễn SH"), "members_exempt", 7),
    ]


def _flow_cols(annual: bool) -> list[_Col]:
    up = "Đảng viên tăng trong năm" if annual else "Đảng viên tăng trong kỳ"
    down = "Đảng viên giảm trong năm" if annual else "Đảng viên giảm trong kỳ"
    return [
        _Col((up, "Kết nạp"), "admitted", 7),
        _Col((up, "Chuyển đến"), "transferred_in", 7.5),
        _Col((up, "Phục hồi đảng tịch"), "reinstated", 7.5),
        _Col((down, "Từ trần"), "deceased", 6.5),
        _Col((down, "Xóa tên"), "removed", 6.5),
        _Col((down, "Khai trừ"), "expelled", 6.5),
        _Col((down, "Xin ra khỏi Đảng"), "resigned", 7),
        _Col((down, "Chuyển đi"), "transferred_out", 7),
        _Col(("Công nhận đảng viên chính thức",), "recognized_full", 9),
    ]


def _discipline_cols() -> list[_Col]:
    d = "Kỷ luật đảng viên"
    return [
        _Col((d, "Tổng số"), "disciplined_total", 7),
        _Col((d, "Chia ra", "Khiển trách"), "disciplined_reprimand", 7),
        _Col((d, "Chia ra", "Cảnh cáo"), "disciplined_warning", 7),
        _Col((d, "Chia ra", "Cách chức"), "disciplined_dismissal", 7),
        _Col((d, "Chia ra", "Khai trừ"), "disciplined_expulsion", 7),
        _Col(("Kiểm tra (lượt)",), "inspections", 7.5),
        _Col(("Giám sát (lượt)",), "supervisions", 7.5),
    ]


def _committee_cols(youth_age: int) -> list[_Col]:
    c = "Cấp ủy viên"
    return [
        _Col((c, "Tổng số"), "committee_members", 7),
        _Col((c, "Trong đó", "Nữ"), "committee_female", 6.5),
        _Col((c, "Trong đó", f"Trẻ (dưới {youth_age} tuổi)"), "committee_youth", 7.5),
        _Col((c, "Trong đó", "Dân tộc thiểu số"), "committee_ethnic_minority", 7.5),
        _Col(("Bí thư đồng thời là thủ trưởng",), "secretary_is_head", 9.5),
    ]


def _rating_cols() -> list[_Col]:
    r = "Đánh giá, xếp loại đảng viên"
    return [
        _Col((r, "Tổng số được đánh giá"), "rated_total", 8.5),
        _Col((r, "Trong đó", "HTXSNV"), "rated_excellent", 7.5),
        _Col((r, "Trong đó", "HTTNV"), "rated_good", 7.5),
        _Col((r, "Trong đó", "HTNV"), "rated_complete", 7),
        _Col((r, "Trong đó", "KHTNV"), "rated_failed", 7),
    ]


def _number_columns(cols: list[_Col], paren: bool) -> list[_Col]:
    """Fill in the column-number row: "(3)=(4)+(5)" on totals that are partitions."""
    out: list[_Col] = []
    n = 0
    index: dict[str, int] = {}
    for col in cols:
        if col.path:
            n += 1
            index[col.key or ""] = n
    parts = {
        "members_total": ("members_full", "members_probationary"),
        "disciplined_total": ("disciplined_reprimand", "disciplined_warning", "disciplined_dismissal",
                              "disciplined_expulsion"),
    }
    for col in cols:
        if not col.path:
            out.append(col)
            continue
        k = index[col.key or ""]
        text = f"({k})" if paren else str(k)
        if col.key in parts and all(p in index for p in parts[col.key]):
            terms = [index[p] for p in parts[col.key]]
            text += "=" + "+".join(f"({t})" if paren else str(t) for t in terms)
        out.append(_Col(col.path, col.key, col.width, text))
    return out


def _quarterly_cols(youth_age: int) -> list[_Col]:
    cols = [_Col(("STT",), "stt", 5), _Col(("Tên tổ chức cơ sở đảng",), "name", 44)]
    cols += _member_cols(False) + _flow_cols(False)
    cols.append(_Col((), None, 1.5))  # blank narrow spacer column
    cols += _discipline_cols() + _committee_cols(youth_age)
    cols.append(_Col(("Ghi chú",), "note", 16))
    return _number_columns(cols, paren=True)


def _annual_cols() -> list[_Col]:
    cols = [_Col(("STT",), "stt", 5), _Col(("Mã TCCS",), "code", 10.5),
            _Col(("Tên tổ chức cơ sở đảng",), "name", 44), _Col(("Loại hình",), "type", 13),
            _Col(("Đảng viên đầu năm",), "members_opening", 8.5)]
    cols += _member_cols(True) + _flow_cols(True) + _discipline_cols() + _rating_cols() + _committee_cols(40)
    cols.append(_Col(("Ghi chú",), "note", 16))
    return _number_columns(cols, paren=True)


def _commune_cols() -> list[_Col]:
    dv, cu = "Đảng viên", "Cấp ủy viên"
    cols = [
        _Col(("TT",), "stt", 5), _Col(("Tên chi bộ",), "name", 34),
        _Col((dv, "Tổng số"), "members_total", 8), _Col((dv, "Chính thức"), "members_full", 8.5),
        _Col((dv, "Dự bị"), "members_probationary", 7), _Col((dv, "Nữ"), "members_female", 7),
        _Col(("Kết nạp",), "admitted", 8), _Col(("Công nhận chính thức",), "recognized_full", 10),
        _Col((cu, "Tổng số"), "committee_members", 7.5), _Col((cu, "Nữ"), "committee_female", 7),
        _Col((cu, "Trẻ (dưới 40 tuổi)"), "committee_youth", 8), _Col(("Ghi chú",), "note", 18),
    ]
    return _number_columns(cols, paren=False)


# ---------------------------------------------------------------------------------------------
# Cell presentation: a few numbers typed as text, "-" for some zeros, secretary as 1 or blank

class _Presenter:
    """Decides, deterministically per sheet, which cells are written the way careless hands type them."""

    def __init__(self, key: str, text_cells: int = 3, dash_cells: int = 6) -> None:
        self.rng = random.Random(key)
        self.text_cells = text_cells
        self.dash_cells = dash_cells

    def plan(self, org_rows: list[dict[str, int]], metrics: tuple[str, ...]) -> tuple[set, set, int]:
        nonzero = [(i, m) for i, r in enumerate(org_rows) for m in metrics
                   if m not in ("secretary_is_head", "members_opening") and r[m] > 0]
        zeros = [(i, m) for i, r in enumerate(org_rows) for m in metrics
                 if m in FLOWS and r[m] == 0]
        text = set(self.rng.sample(nonzero, min(self.text_cells, len(nonzero))))
        dash = set(self.rng.sample(zeros, min(self.dash_cells, len(zeros))))
        dash_row = self.rng.randrange(len(org_rows)) if org_rows else -1  # one row typed with "-" for all zeros
        return text, dash, dash_row


def _cell_value(metric: str, value: int, *, as_text: bool = False, dash: bool = False, org: bool = True) -> Any:
    if metric == "secretary_is_head" and org:
        return 1 if value else None
    if dash and value == 0:
        return "-"
    if as_text:
        return vn_number(value)
    return value


_NOTES = ("Báo cáo bổ sung", "Số liệu đã rà soát", "Gửi báo cáo chậm", "Kiện toàn cấp ủy", "Đã đối chiếu hồ sơ")
_CLERKS = ("Nguyễn Thị Hương", "Lê Thị Thu Hà", "Trịnh Văn Nam", "Phạm Thị Lan", "Hoàng Minh Tuấn")
_HEADS = ("Lê Văn Thành", "Nguyễn Đình Hùng", "Đỗ Thị Minh Thu", "Lê Quang Trung", "Trần Văn Hải")


def _body_rows(
    orgs: list[_Org], values: dict[str, dict[str, int]], cols: list[_Col], metrics: tuple[str, ...],
    presenter: _Presenter, *, groups: bool, total_label: str, total_at_top: bool, total_as_text: bool,
) -> list[tuple[str, list[Any]]]:
    org_rows = [values[o.code] for o in orgs]
    text, dash, dash_row = presenter.plan(org_rows, metrics)
    note_rows = set(presenter.rng.sample(range(len(orgs)), 2))
    notes = {i: presenter.rng.choice(_NOTES) for i in note_rows}

    def line(kind: str, stt: Any, org: _Org | None, row: dict[str, int], i: int = -1,
             label: str = "", text_metric: str | None = None) -> tuple[str, list[Any]]:
        out: list[Any] = []
        for col in cols:
            k = col.key
            if k is None:
                out.append(None)
            elif k == "stt":
                out.append(stt)
            elif k == "name":
                out.append(org.name if org else label)
            elif k == "code":
                out.append(org.code if org else None)
            elif k == "type":
                out.append(TYPE_ABBREVIATIONS[org.org_type] if org else None)
            elif k == "note":
                out.append(notes.get(i) if kind == "org" else None)
            else:
                v = row[k]
                if kind == "org":
                    out.append(_cell_value(k, v, as_text=(i, k) in text,
                                           dash=(i, k) in dash or (i == dash_row and k in FLOWS)))
                else:
                    out.append(_cell_value(k, v, as_text=(k == text_metric and v >= 1000), org=False))
        return kind, out

    body: list[tuple[str, list[Any]]] = []
    total = line("total", None, None, _sum_rows(org_rows, metrics), label=total_label,
                 text_metric="members_total" if total_as_text else None)
    if total_at_top:
        body.append(total)
    index = 0
    group_no = 0
    for org_type, _, _ in BLOC_TYPE_TARGETS:
        members = [(i, o) for i, o in enumerate(orgs) if o.org_type == org_type]
        if not members:
            continue
        if groups:
            group_no += 1
            sub = _sum_rows([org_rows[i] for i, _ in members], metrics)
            body.append(line("group", roman(group_no), None, sub, label=GROUP_NAMES[org_type],
                             text_metric="members_total" if presenter.rng.random() < 0.3 else None))
        for n, (i, o) in enumerate(members, start=1):
            index += 1
            body.append(line("org", n if groups else index, o, org_rows[i], i))
    if not total_at_top:
        body.append(total)
    return body


# ---------------------------------------------------------------------------------------------
# Writers

def _bloc_left() -> tuple[str, ...]:
    return (BLOC_ISSUER, "BAN TỔ CHỨC", "*")


def _place_date(day: int, month: int, year: int, place: str = PROVINCE) -> str:
    """Place and date as administrative documents write them: days 1–9 and months 1–2 with a leading zero."""
    d = f"{day:02d}" if day < 10 else str(day)
    m = f"{month:02d}" if month < 3 else str(month)
    return f"{place}, ngày {d} tháng {m} năm {year}"


def _save(wb: Workbook, path: Path) -> None:
    """Save with fixed document dates and zip timestamps, so the same seed gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)",
                              rb"\g<1>" + _FIXED_DOC_TIME.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data, compresslevel=9)
    tmp.unlink()


def _new_workbook() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "Ban Tổ chức"
    wb.properties.lastModifiedBy = "Ban Tổ chức"
    return wb


def write_bloc_quarterly(path: str | Path, seed: int = DEFAULT_SEED) -> dict[str, dict[str, int]]:
    """Write the bloc's quarterly workbook ("Hướng dẫn" + one sheet per quarter, 2023-Q1 … 2026-Q3).

    Returns each sheet's layout (1-based rows: header_top, header_bottom, number_row, body_first, body_last …).
    """
    model = _bloc_model(seed)
    rng = random.Random(f"quarterly-{seed}")
    wb = _new_workbook()
    guide = wb.active
    guide.title = "Hướng dẫn"
    lines = (
        ("HƯỚNG DẪN LẬP BIỂU SỐ 01-BTCTW (BÁO CÁO QUÝ)", _F_TITLE),
        ("1. Mỗi quý lập một trang tính, đặt tên theo mẫu \"Quý I-2023\"; số liệu tính đến ngày cuối quý.", _F_BODY),
        ("2. Cột (3)=(4)+(5); các cột \"Trong đó\" là số đảng viên nằm trong tổng số, không cộng vào tổng.", _F_BODY),
        ("3. Số đảng viên cuối kỳ = đầu kỳ + kết nạp + chuyển đến + phục hồi − từ trần − xóa tên − khai trừ − "
         "xin ra khỏi Đảng − chuyển đi.", _F_BODY),
        ("4. Cột \"Bí thư đồng thời là thủ trưởng\": ghi 1 nếu đúng, để trống nếu không.", _F_BODY),
        ("5. Dòng TỔNG CỘNG và các dòng nhóm (I, II, …) là tổng của các tổ chức cơ sở đảng trong nhóm.", _F_BODY),
        ("6. Gửi về Ban Tổ chức Đảng ủy Khối trước ngày 05 của tháng đầu quý sau.", _F_BODY),
    )
    for i, (text, font) in enumerate(lines):
        guide.cell(row=1 if i == 0 else i + 2, column=1, value=text).font = font
    guide.column_dimensions["A"].width = 120
    clerk, head = rng.choice(_CLERKS), rng.choice(_HEADS)
    layouts: dict[str, dict[str, int]] = {}
    styles = _Styles()
    for n, period in enumerate(QUARTERS):
        year, q = _quarter_parts(period)
        day, month = _QUARTER_END[q]
        rep_month, rep_year = (month + 1, year) if month < 12 else (1, year + 1)
        youth_age = 42 if period >= NEW_TERM_FROM else 40
        cols = _quarterly_cols(youth_age)
        form = _Form(
            left=_bloc_left(), right=("ĐẢNG CỘNG SẢN VIỆT NAM", _place_date(5, rep_month, rep_year)),
            form_no="Biểu số 01-BTCTW",
            title=f"BÁO CÁO SỐ LƯỢNG, CHẤT LƯỢNG ĐẢNG VIÊN QUÝ {_QUARTER_ROMAN[q]} NĂM {year}",
            subtitle=f"(Tính đến ngày {day}/{month}/{year})", cols=cols, depth=3, numbers_as_ints=False,
            note=(f"Ghi chú: Số liệu tính đến ngày {day}/{month}/{year}; cột (3)=(4)+(5); đảng viên miễn sinh "
                  "hoạt vẫn tính trong tổng số; các cột \"Trong đó\" không cộng vào tổng số."),
            signer_left=("NGƯỜI LẬP BIỂU", clerk), signer_right=("T/M BAN THƯỜNG VỤ", "TRƯỞNG BAN", head),
            freeze_cols=2, left_span=3, right_span=10,
        )
        presenter = _Presenter(f"quarterly-{seed}-{period}")
        body = _body_rows(model.orgs, model.series[period], cols, QUARTERLY_METRICS, presenter, groups=True,
                          total_label="TỔNG CỘNG", total_at_top=True, total_as_text=n % 3 == 0)
        ws = wb.create_sheet(f"Quý {_QUARTER_ROMAN[q]}-{year}")
        layouts[ws.title] = _render(ws, form, body, styles)
    _save(wb, Path(path))
    return layouts


def write_bloc_annual(path: str | Path, seed: int = DEFAULT_SEED) -> dict[str, dict[str, int]]:
    """Write the bloc's annual workbook: one sheet per year 2020–2024, codes and types, "Cộng" at the bottom."""
    model = _bloc_model(seed)
    rng = random.Random(f"annual-{seed}")
    wb = _new_workbook()
    wb.remove(wb.active)
    clerk, head = rng.choice(_CLERKS), rng.choice(_HEADS)
    cols = _annual_cols()
    layouts: dict[str, dict[str, int]] = {}
    styles = _Styles()
    for year in YEARS:
        y = int(year)
        form = _Form(
            left=_bloc_left(), right=("ĐẢNG CỘNG SẢN VIỆT NAM", _place_date(10, 1, y + 1)),
            form_no="Biểu số 08-BTCTW",
            title=f"BÁO CÁO KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN VÀ SỐ LƯỢNG ĐẢNG VIÊN NĂM {y}",
            subtitle=f"(Tính đến ngày 31/12/{y})", cols=cols, depth=3, numbers_as_ints=False,
            note=(f"Ghi chú: Số liệu tính đến ngày 31/12/{y}. HTXSNV: hoàn thành xuất sắc nhiệm vụ; HTTNV: hoàn "
                  "thành tốt nhiệm vụ; HTNV: hoàn thành nhiệm vụ; KHTNV: không hoàn thành nhiệm vụ."),
            signer_left=("NGƯỜI LẬP BIỂU", clerk), signer_right=("T/M BAN THƯỜNG VỤ", "TRƯỞNG BAN", head),
            freeze_cols=3, left_span=3, right_span=12,
        )
        presenter = _Presenter(f"annual-{seed}-{year}", text_cells=3, dash_cells=10)
        body = _body_rows(model.orgs, model.series[year], cols, ANNUAL_METRICS, presenter, groups=False,
                          total_label="Cộng", total_at_top=False, total_as_text=y % 2 == 0)
        ws = wb.create_sheet(f"Năm {year}")
        layouts[ws.title] = _render(ws, form, body, styles)
    _save(wb, Path(path))
    return layouts


def write_commune_half_year(path: str | Path, seed: int = DEFAULT_SEED) -> dict[str, dict[str, int]]:
    """Write the commune committee's "6 tháng đầu năm 2025" form: chi bộ rows in groups A/B, total at the bottom."""
    model = _commune_model(seed)
    rng = random.Random(f"commune-sheet-{seed}")
    wb = _new_workbook()
    ws = wb.active
    ws.title = "6 tháng 2025"
    cols = _commune_cols()
    form = _Form(
        left=("ĐẢNG BỘ HUYỆN THIỆU HÓA", f"ĐẢNG ỦY XÃ {COMMUNE_NAME.upper()}", "*"),
        right=("ĐẢNG CỘNG SẢN VIỆT NAM", f"{COMMUNE_NAME}, ngày 30 tháng 6 năm 2025"),
        form_no="Mẫu 01-BC/ĐU",
        title="BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN VÀ KẾT QUẢ PHÁT TRIỂN ĐẢNG VIÊN 6 THÁNG ĐẦU NĂM 2025",
        subtitle="(Tính đến ngày 30/6/2025)", cols=cols, depth=2, numbers_as_ints=True,
        note="Ghi chú: Cột 3=4+5; cột 6 tính cả đảng viên dự bị; cấp ủy viên gồm bí thư, phó bí thư và chi ủy viên.",
        signer_left=("NGƯỜI LẬP BIỂU", rng.choice(_CLERKS)),
        signer_right=("T/M ĐẢNG ỦY", "BÍ THƯ", rng.choice(_HEADS)), freeze_cols=2, left_span=2, right_span=6,
    )
    presenter = _Presenter(f"commune-{seed}", text_cells=2, dash_cells=4)
    values = model.values
    org_rows = [values[o["code"]] for o in model.orgs]
    text, dash, _ = presenter.plan(org_rows, COMMUNE_METRICS)

    def line(kind: str, stt: Any, label: str, row: dict[str, int], i: int = -1) -> tuple[str, list[Any]]:
        out: list[Any] = []
        for col in cols:
            if col.key == "stt":
                out.append(stt)
            elif col.key == "name":
                out.append(label)
            elif col.key == "note":
                out.append(None)
            else:
                out.append(_cell_value(col.key or "", row[col.key or ""], as_text=(i, col.key) in text,
                                       dash=(i, col.key) in dash) if kind == "org" else row[col.key or ""])
        return kind, out

    body: list[tuple[str, list[Any]]] = []
    for letter, heading in _COMMUNE_GROUPS:
        members = [(i, o) for i, o in enumerate(model.orgs) if o["group"] == letter]
        body.append(line("group", letter, heading, _sum_rows([org_rows[i] for i, _ in members], COMMUNE_METRICS)))
        for n, (i, o) in enumerate(members, start=1):
            body.append(line("org", n, o["name"], org_rows[i], i))
    body.append(line("total", None, "Toàn Đảng bộ", _sum_rows(org_rows, COMMUNE_METRICS)))
    layout = {ws.title: _render(ws, form, body, _Styles())}
    _save(wb, Path(path))
    return layout


def write_samples(outdir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the three committed samples into ``outdir``; returns their paths."""
    out = Path(outdir)
    paths = [out / QUARTERLY_FILE, out / ANNUAL_FILE, out / COMMUNE_FILE]
    write_bloc_quarterly(paths[0], seed)
    write_bloc_annual(paths[1], seed)
    write_commune_half_year(paths[2], seed)
    return paths


# ---------------------------------------------------------------------------------------------
# National scale (benchmarks)

PROVINCES_2025: tuple[str, ...] = (
    "Thành phố Hà Nội", "Thành phố Huế", "Tỉnh Lai Châu", "Tỉnh Điện Biên", "Tỉnh Sơn La", "Tỉnh Lạng Sơn",
    "Tỉnh Quảng Ninh", "Tỉnh Thanh Hóa", "Tỉnh Nghệ An", "Tỉnh Hà Tĩnh", "Tỉnh Cao Bằng", "Tỉnh Tuyên Quang",
    "Tỉnh Lào Cai", "Tỉnh Thái Nguyên", "Tỉnh Phú Thọ", "Tỉnh Bắc Ninh", "Tỉnh Hưng Yên", "Thành phố Hải Phòng",
    "Tỉnh Ninh Bình", "Tỉnh Quảng Trị", "Thành phố Đà Nẵng", "Tỉnh Quảng Ngãi", "Tỉnh Gia Lai", "Tỉnh Khánh Hòa",
    "Tỉnh Lâm Đồng", "Tỉnh Đắk Lắk", "Thành phố Hồ Chí Minh", "Tỉnh Đồng Nai", "Tỉnh Tây Ninh",
    "Thành phố Cần Thơ", "Tỉnh Vĩnh Long", "Tỉnh Đồng Tháp", "Tỉnh Cà Mau", "Tỉnh An Giang",
)
_HIGHLAND = {"Tỉnh Lai Châu", "Tỉnh Điện Biên", "Tỉnh Sơn La", "Tỉnh Lạng Sơn", "Tỉnh Cao Bằng", "Tỉnh Tuyên Quang",
             "Tỉnh Lào Cai", "Tỉnh Gia Lai", "Tỉnh Đắk Lắk", "Tỉnh Lâm Đồng", "Tỉnh Thái Nguyên"}
_SYL1 = ("Tân", "Hòa", "Phú", "An", "Xuân", "Thạch", "Quảng", "Vĩnh", "Đông", "Tây", "Nam", "Bắc", "Trung",
         "Hưng", "Thanh", "Minh", "Yên", "Định", "Hải", "Long", "Phước", "Bình", "Thuận", "Kim", "Ngọc", "Cẩm",
         "Hồng", "Lam", "Sơn", "Thiệu")
_SYL2 = ("Phong", "Lộc", "Thành", "Hòa", "Sơn", "Hải", "Bình", "An", "Phú", "Lợi", "Tiến", "Thịnh", "Hưng", "Lâm",
         "Xuân", "Trung", "Đức", "Thọ", "Khang", "Ninh", "Hà", "Giang", "Long", "Nghĩa", "Tân", "Quang", "Vinh",
         "Mỹ", "Điền", "Tường")
_NAT_TYPES: tuple[tuple[str, float, float], ...] = (  # (org_type, share of organizations, median members)
    ("other", 0.50, 100.0), ("party_front_agency", 0.05, 35.0), ("admin_agency", 0.07, 65.0),
    ("public_service_unit", 0.17, 50.0), ("police", 0.05, 60.0), ("army", 0.04, 50.0), ("soe_100", 0.01, 170.0),
    ("soe_majority", 0.015, 130.0), ("soe_minority", 0.005, 60.0), ("private_enterprise", 0.055, 45.0),
    ("foreign_invested", 0.015, 55.0), ("cooperative", 0.02, 22.0),
)
_NAT_TYPE_LABEL = {
    "other": "Loại hình khác", "party_front_agency": "Cơ quan Đảng, MTTQ, đoàn thể",
    "admin_agency": "Cơ quan hành chính nhà nước", "public_service_unit": "Đơn vị sự nghiệp",
    "police": "Công an", "army": "Quân đội", "soe_100": "DN 100% vốn Nhà nước",
    "soe_majority": "DN có vốn Nhà nước trên 50%", "soe_minority": "DN có vốn Nhà nước dưới 50%",
    "private_enterprise": "DN ngoài khu vực Nhà nước", "foreign_invested": "DN có vốn đầu tư nước ngoài",
    "cooperative": "Hợp tác xã",
}
_NAT_NAMES: dict[str, tuple[str, ...]] = {
    "party_front_agency": ("Cơ quan Đảng, Mặt trận và các đoàn thể {k} {c}",),
    "admin_agency": ("Cơ quan Ủy ban nhân dân {k} {c}", "Chi cục Thuế khu vực {p}", "Kho bạc Nhà nước khu vực {p}",
                     "Phòng Giao dịch Ngân hàng Chính sách xã hội {p}", "Hạt Kiểm lâm {p}"),
    "public_service_unit": ("Trường Mầm non {p}", "Trường Tiểu học {p}", "Trường Trung học cơ sở {p}",
                            "Trường Trung học phổ thông {p}", "Trạm Y tế {k} {c}", "Trung tâm Y tế khu vực {p}",
                            "Trường Tiểu học và Trung học cơ sở {p}"),
    "police": ("Công an {k} {c}",),
    "army": ("Quân sự {k} {c}", "Đồn Biên phòng {p}", "Trung đoàn {n}"),
    "soe_100": ("Công ty TNHH MTV Thủy lợi {p}", "Công ty TNHH MTV Lâm nghiệp {p}",
                "Công ty TNHH MTV Môi trường đô thị {p}"),
    "soe_majority": ("Công ty Cổ phần Cấp nước {p}", "Công ty Cổ phần Xây dựng giao thông {p}",
                     "Công ty Cổ phần Dược phẩm {p}"),
    "soe_minority": ("Công ty Cổ phần Vận tải {p}", "Công ty Cổ phần Thương mại {p}"),
    "private_enterprise": ("Công ty TNHH Xây dựng {p}", "Công ty Cổ phần Đầu tư {p}", "Công ty TNHH May {p}",
                           "Công ty TNHH Chế biến nông sản {p}", "Doanh nghiệp tư nhân {p}"),
    "foreign_invested": ("Công ty TNHH Điện tử Sunrise {p}", "Công ty TNHH Giày Annora {p}",
                         "Công ty TNHH May mặc Pacific {p}"),
    "cooperative": ("Hợp tác xã dịch vụ nông nghiệp {p}", "Hợp tác xã thủy sản {p}"),
}


def _national_header(cols: list[_Col], ws: Any, top: int) -> list[list[Any]]:
    cells, merges = _header_cells(cols, 2, top)
    rows = []
    for r in (top, top + 1):
        row = []
        for c in range(1, len(cols) + 1):
            cell = WriteOnlyCell(ws, value=cells.get((r, c)))
            cell.font, cell.alignment, cell.border = _F_HEAD, _A_CENTER, _BORDER
            row.append(cell)
        rows.append(row)
    for r1, c1, r2, c2 in merges:
        ws.merged_cells.add(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
    return rows


def _bold_row(ws: Any, values: list[Any]) -> list[Any]:
    out = []
    for v in values:
        cell = WriteOnlyCell(ws, value=v)
        cell.font = _F_BOLD
        cell.number_format = _NUM
        out.append(cell)
    return out


def write_national(
    path: str | Path, seed: int = DEFAULT_SEED, organizations: int = 52_000, provinces: int = 34,
    communes: int = 3_300,
) -> dict[str, Any]:
    """Write a national-scale workbook for benchmarks (one sheet, openpyxl ``write_only``; not committed).

    Layout: title (row 1), subtitle (row 2), two header rows (4–5, merged), "TỔNG CỘNG" (row 6), then per
    province a bold group row ("I" in A, blank B, province name in C, subtotals) followed by its organizations
    (STT restarting at 1, code "PP.CCCC.NNNNN" as text, name, parent commune committee, type, then
    :data:`NATIONAL_METRICS`; ``secretary_is_head`` 1 or blank). No column-number row, no signature block.
    Returns ``{"organizations", "provinces", "communes", "rows", "members", "seconds"}``.
    """
    if organizations < 1 or provinces < 1 or communes < 1:
        raise ValueError("organizations, provinces and communes must be positive")
    started = time.perf_counter()
    communes = min(communes, organizations)
    provinces = min(provinces, communes)
    rng = random.Random(f"national-{seed}")
    rnd = rng.random
    names = [PROVINCES_2025[i] if i < len(PROVINCES_2025) else f"Tỉnh số {i + 1}" for i in range(provinces)]
    per_province = _split_total(communes, [rng.lognormvariate(0, 0.35) for _ in range(provinces)], 1)
    commune_weights = [rng.lognormvariate(0, 0.45) for _ in range(communes)]
    per_commune = _split_total(organizations, commune_weights, 1)
    type_ids = [t for t, _, _ in _NAT_TYPES]
    type_w = [s for _, s, _ in _NAT_TYPES]
    medians = {t: m for t, _, m in _NAT_TYPES}
    n_metrics = len(NATIONAL_METRICS)
    cum_type_w = []
    acc = 0.0
    for w in type_w:
        acc += w
        cum_type_w.append(acc)

    provinces_rows: list[tuple[list[Any], list[list[Any]]]] = []
    grand = [0] * n_metrics
    commune_index = 0
    for p in range(provinces):
        sub = [0] * n_metrics
        rows: list[list[Any]] = []
        highland = names[p] in _HIGHLAND
        eth_base = 0.35 if highland else 0.03
        picks = rng.sample(range(len(_SYL1) * len(_SYL2)), min(per_province[p], len(_SYL1) * len(_SYL2)))
        k_org = 0
        for j in range(per_province[p]):
            pick = picks[j % len(picks)]
            place = f"{_SYL1[pick // len(_SYL2)]} {_SYL2[pick % len(_SYL2)]}"
            u = rnd()
            kind = "xã" if u < 0.72 else ("phường" if u < 0.995 else "đặc khu")
            parent = f"Đảng bộ {kind} {place}"
            for _ in range(per_commune[commune_index]):
                k_org += 1
                x = rnd() * acc
                t = type_ids[next(i for i, cw in enumerate(cum_type_w) if x < cw)]
                total = max(5, int(rng.lognormvariate(math.log(medians[t]), 0.8)))
                # name
                if t == "other":
                    if kind == "phường":
                        base = f"tổ dân phố số {1 + int(rnd() * 40)}" if rnd() < 0.6 else \
                            f"khu phố {_SYL1[int(rnd() * len(_SYL1))]} {_SYL2[int(rnd() * len(_SYL2))]}"
                    else:
                        base = f"thôn {_SYL1[int(rnd() * len(_SYL1))]} {_SYL2[int(rnd() * len(_SYL2))]}"
                else:
                    tmpl = _NAT_NAMES[t]
                    base = tmpl[int(rnd() * len(tmpl))].format(
                        k=kind, c=place, n=100 + int(rnd() * 900),
                        p=f"{_SYL1[int(rnd() * len(_SYL1))]} {_SYL2[int(rnd() * len(_SYL2))]}")
                name = ("Đảng bộ " if total >= 30 else "Chi bộ ") + base
                # values (stochastic rounding keeps expectations right and costs one random() each)
                prob = min(total - 3, int(total * 0.035 + rnd()))
                full = total - prob
                female = min(total, int(total * (0.3 + 0.25 * rnd()) + rnd()))
                ethnic = min(total, int(total * eth_base * 2 * rnd() + rnd()))
                religious = min(total, int(total * 0.03 * rnd() + rnd()))
                exempt = min(full, int(total * (0.06 if t == "other" else 0.005) + rnd()))
                admitted = min(prob, int(total * 0.03 + rnd()))
                tin = int(total * 0.04 + rnd())
                reinst = 1 if rnd() < 0.002 else 0
                recognized = int(total * 0.03 + rnd())
                deceased = int(total * (0.012 if t == "other" else 0.002) + rnd())
                removed = int(total * 0.001 + rnd())
                resigned = 1 if rnd() < 0.002 else 0
                tout = int(total * 0.04 + rnd())
                d = [0, 0, 0, 0]
                for _ in range(int(total * 0.004 + rnd())):
                    v = rnd()
                    d[0 if v < 0.62 else 1 if v < 0.9 else 2 if v < 0.96 else 3] += 1
                expelled = d[3]
                recent = min(prob, int(prob * 0.3 + rnd()))
                rated = total - exempt - recent
                failed = min(rated, int(rated * 0.003 + rnd() * 0.5))
                complete = min(rated - failed, int(rated * 0.1 * rnd() + rnd()))
                rest = rated - failed - complete
                excellent = min(int(rest * (0.1 + 0.07 * rnd())), rest // 6)
                good = rest - excellent
                if total < 9:
                    cm = 1
                elif total < 30:
                    cm = 3
                else:
                    cm = 5 if total < 80 else 7 if total < 200 else 9
                cf = min(cm, int(cm * female / total + rnd()))
                cy = min(cm, int(cm * 0.15 + rnd()))
                sec = 1 if rnd() < 0.6 else 0
                vals = [total, full, prob, female, ethnic, religious, exempt, admitted, tin, reinst, recognized,
                        deceased, removed, expelled, resigned, tout, sum(d), d[0], d[1], d[2], d[3],
                        rated, excellent, good, complete, failed, cm, cf, cy, sec]
                for i in range(n_metrics):
                    sub[i] += vals[i]
                vals[-1] = 1 if sec else None
                code = f"{p + 1:02d}.{commune_index + 1:04d}.{k_org:05d}"
                rows.append([k_org, code, name, parent, _NAT_TYPE_LABEL[t], *vals])
            commune_index += 1
        for i in range(n_metrics):
            grand[i] += sub[i]
        provinces_rows.append(([roman(p + 1), None, names[p], None, None, *sub], rows))

    wb = Workbook(write_only=True)
    wb.properties.creator = "Ban Tổ chức Trung ương"
    ws = wb.create_sheet("Toàn quốc 2024")
    group_labels = {
        "members": "Số lượng đảng viên", "up": "Đảng viên tăng trong năm", "down": "Đảng viên giảm trong năm",
        "disc": "Kỷ luật đảng viên", "rate": "Đánh giá, xếp loại đảng viên", "com": "Cấp ủy viên",
    }
    leaf = {
        "members_total": ("members", "Tổng số"), "members_full": ("members", "Chính thức"),
        "members_probationary": ("members", "Dự bị"), "members_female": ("members", "Nữ"),
        "members_ethnic_minority": ("members", "Dân tộc thiểu số"), "members_religious": ("members", "Tôn giáo"),
        "members_exempt": ("members", "Miễn SH"), "admitted": ("up", "Kết nạp"),
        "transferred_in": ("up", "Chuyển đến"), "reinstated": ("up", "Phục hồi đảng tịch"),
        "recognized_full": (None, "Công nhận đảng viên chính thức"), "deceased": ("down", "Từ trần"),
        "removed": ("down", "Xóa tên"), "expelled": ("down", "Khai trừ"), "resigned": ("down", "Xin ra khỏi Đảng"),
        "transferred_out": ("down", "Chuyển đi"), "disciplined_total": ("disc", "Tổng số"),
        "disciplined_reprimand": ("disc", "Khiển trách"), "disciplined_warning": ("disc", "Cảnh cáo"),
        "disciplined_dismissal": ("disc", "Cách chức"), "disciplined_expulsion": ("disc", "Khai trừ"),
        "rated_total": ("rate", "Tổng số được đánh giá"), "rated_excellent": ("rate", "HTXSNV"),
        "rated_good": ("rate", "HTTNV"), "rated_complete": ("rate", "HTNV"), "rated_failed": ("rate", "KHTNV"),
        "committee_members": ("com", "Tổng số"), "committee_female": ("com", "Nữ"),
        "committee_youth": ("com", "Trẻ (dưới 40 tuổi)"), "secretary_is_head": (None, "Bí thư đồng thời là thủ trưởng"),
    }
    cols = [_Col(("STT",), "stt", 7), _Col(("Mã",), "code", 14), _Col(("Tên tổ chức cơ sở đảng",), "name", 44),
            _Col(("Đảng bộ cấp trên",), "parent", 28), _Col(("Loại hình",), "type", 16)]
    for m in NATIONAL_METRICS:
        g, label = leaf[m]
        cols.append(_Col((group_labels[g], label) if g else (label,), m, 8))
    ncol = len(cols)
    for c, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.freeze_panes = "D7"
    title = WriteOnlyCell(ws, value="THỐNG KÊ SỐ LƯỢNG ĐẢNG VIÊN TOÀN QUỐC NĂM 2024")
    title.font, title.alignment = _F_TITLE, _A_CENTER
    subtitle = WriteOnlyCell(ws, value="(Tính đến ngày 31/12/2024)")
    subtitle.font, subtitle.alignment = _F_ITALIC, _A_CENTER
    last = get_column_letter(ncol)
    ws.merged_cells.add(f"A1:{last}1")
    ws.merged_cells.add(f"A2:{last}2")
    ws.append([title])
    ws.append([subtitle])
    ws.append([])
    for row in _national_header(cols, ws, 4):
        ws.append(row)
    ws.append(_bold_row(ws, [None, None, "TỔNG CỘNG", None, None, *grand]))
    n_rows = 6
    for group, rows in provinces_rows:
        ws.append(_bold_row(ws, group))
        n_rows += 1
        for row in rows:
            ws.append(row)
        n_rows += len(rows)
    _save_plain(wb, Path(path))
    return {"organizations": organizations, "provinces": provinces, "communes": communes, "rows": n_rows,
            "members": grand[0], "seconds": round(time.perf_counter() - started, 2)}


def _save_plain(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


# ---------------------------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    """``[OUTDIR] [--seed N]`` writes the three samples; ``national PATH [--organizations N] …`` a national one."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "national":
        p = argparse.ArgumentParser(prog="python -m loaders.samples national",
                                    description="Write a national-scale workbook for benchmarks.")
        p.add_argument("path", type=Path)
        p.add_argument("--organizations", type=int, default=52_000)
        p.add_argument("--provinces", type=int, default=34)
        p.add_argument("--communes", type=int, default=3_300)
        p.add_argument("--seed", type=int, default=DEFAULT_SEED)
        ns = p.parse_args(args[1:])
        info = write_national(ns.path, ns.seed, ns.organizations, ns.provinces, ns.communes)
        print(f"{ns.path}: {info['organizations']} organizations, {info['provinces']} provinces, "
              f"{info['rows']} rows, {info['members']} members, {info['seconds']} s")
        return 0
    p = argparse.ArgumentParser(prog="python data/samples/generate.py",
                                description="Regenerate the committed sample workbooks.")
    p.add_argument("outdir", nargs="?", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "samples")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ns = p.parse_args(args)
    for path in write_samples(ns.outdir, ns.seed):
        print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def cached_national(folder: Path, organizations: int = 52_000) -> Path:
    """The national workbook in ``folder`` (written once, reused by the benchmark scripts)."""

    folder.mkdir(exist_ok=True)
    book = folder / f"national_{organizations}.xlsx"
    if not book.exists():
        t0 = time.perf_counter()
        write_national(book, organizations=organizations)
        print(f"generated {book.name} in {time.perf_counter() - t0:.1f} s")
    return book
