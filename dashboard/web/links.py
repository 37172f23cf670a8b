"""Links between pages: an organization's own page, for the view in the URL."""

from __future__ import annotations

from dashboard.web.state import ViewState, build

UNIT_PATH = "/don-vi"


def org_ref(code: object, org_id: object) -> str:
    """How the URL names an organization: its code, or its id as text when it has none."""
    return code if isinstance(code, str) and code else str(int(org_id))  # type: ignore[call-overload]


def unit_href(state: ViewState, ref: str) -> str:
    """The link to an organization's own page, keeping the period, comparison, language and targets."""
    return UNIT_PATH + build(state.with_(org=ref, types=()))
