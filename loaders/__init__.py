"""Read party-membership statistics spreadsheets as they really arrive.

Public API::

    from loaders import load
    result = load("bloc.xlsx")            # or load(data_bytes, filename="bloc.xlsx")
    for pdata in result.periods: ...      # one entry per period found
    result.issues                         # every problem, with its sheet and cell

``loaders`` knows nothing of Dash or the database.
"""

from loaders.model import (
    ColumnInfo,
    DeclaredRow,
    Issue,
    Limits,
    LoadResult,
    OrgRecord,
    Period,
    PeriodData,
    UnreadableFileError,
)

__all__ = [
    "ColumnInfo",
    "DeclaredRow",
    "Issue",
    "Limits",
    "LoadResult",
    "OrgRecord",
    "Period",
    "PeriodData",
    "UnreadableFileError",
    "load",
]


def load(*args, **kwargs) -> LoadResult:
    from loaders.api import load as _load

    return _load(*args, **kwargs)
