"""Signing tests in: a user in the store, and a Flask test client, a browser page or an HTTP session signed in.

Every request but the sign-in page needs a session since the accounts layer (issue 6); tests that post to
Dash callbacks or the API sign in first with these helpers.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine

from dashboard.accounts import store
from dashboard.store import db
from dashboard.store.registry import Registry

PASSWORD = "mat-khau-thu-nghiem-1"  # test accounts only
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_user(engine: Engine, name: str = "admin", role: str = "admin", scope: list[str] | None = None,
                password: str = PASSWORD) -> int:
    """A user with the given role and scope (organization codes or names)."""
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        org_ids = [reg.find(ref).id for ref in scope or []]
        return store.create_user(conn, name, password, role, org_ids)


def csrf_field(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def login_client(client, name: str = "admin", password: str = PASSWORD):
    """Sign a Flask test client in; its later requests carry the CSRF header as Dash's renderer does."""
    page = client.get("/dang-nhap")
    response = client.post("/dang-nhap", data={"name": name, "password": password,
                                               "csrf_token": csrf_field(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.get("/_dash-layout")  # sets the CSRF cookie
    cookie = client.get_cookie("_csrf_token")
    client.environ_base["HTTP_X_CSRFTOKEN"] = cookie.value
    return client


def login_session(base_url: str, name: str = "admin", password: str = PASSWORD):
    """A requests.Session signed in to the app at ``base_url`` (real HTTP), sending the CSRF header."""
    import requests

    http = requests.Session()
    page = http.get(base_url + "/dang-nhap", timeout=30)
    response = http.post(base_url + "/dang-nhap", data={"name": name, "password": password,
                                                         "csrf_token": csrf_field(page.text)},
                         allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]
    http.get(base_url + "/_dash-layout", timeout=30)
    http.headers["X-CSRFToken"] = http.cookies.get("_csrf_token")
    return http


def login_page(page, name: str = "admin", password: str = PASSWORD) -> None:
    """Sign a Playwright page (and its browser context) in through the sign-in form."""
    page.goto("/dang-nhap")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*dang-nhap).*$"))
