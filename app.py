"""Thống kê đảng viên: `python app.py` starts the dashboard; `python app.py --help` lists the commands.

``app:server`` is the WSGI application for a production server (gunicorn app:server).
"""

import sys

from dashboard.cli import main


def create_app():
    from dashboard.web.app import create_app as _create

    return _create()


def __getattr__(name: str):
    if name == "server":
        from dashboard.accounts.web import setup_hint

        app = create_app()
        link = setup_hint(app)
        if link:  # gunicorn: the set-up path goes to the error log (prefix it with the site's address)
            print(f"No account yet / chưa có tài khoản: open {link} (or: python app.py users add NAME --role admin)",
                  file=sys.stderr, flush=True)
        return app.server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
