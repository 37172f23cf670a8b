"""Links between pages: an organization's own page, for the view in the URL; the site's addresses as the
browser must ask for them (under URL_PREFIX behind a reverse proxy)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_plus

import dash
from dash.exceptions import UnsupportedRelativePath

from dashboard.web.state import ViewState, build

UNIT_PATH = "/don-vi"


def site_path(path: str) -> str:
    """``/to-chuc`` as the browser asks for it: ``/thong-ke/to-chuc`` when the site is under /thong-ke."""
    return dash.get_relative_path(path)


def page_of(pathname: str | None) -> str | None:
    """The page a browser's pathname (which carries the prefix) shows: ``/`` or ``/to-chuc``; None if outside."""
    try:
        stripped = dash.strip_relative_path(pathname)
    except UnsupportedRelativePath:
        return None
    return None if stripped is None else "/" + stripped


def org_ref(code: object, org_id: object) -> str:
    """How the URL names an organization: its code, or its id as text when it has none."""
    return code if isinstance(code, str) and code else str(int(org_id))  # type: ignore[call-overload]


def unit_href(state: ViewState, ref: str) -> str:
    """The link to an organization's own page, keeping the period, comparison, language and targets."""
    return site_path(UNIT_PATH) + build(state.with_(org=ref, types=()))


_MARK = "ORGREFPLACEHOLDER"


def unit_hrefs(state: ViewState) -> Callable[[str], str]:
    """``unit_href(state, ref)`` for many organizations of one view: the address is built once and only the
    organization changes (a list of 200 built one by one cost a tenth of a second)."""
    template = unit_href(state, _MARK)
    head, _, tail = template.partition(_MARK)
    return lambda ref: head + quote_plus(ref, safe=",:") + tail
