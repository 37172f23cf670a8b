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
        from dashboard.web.outage import STORE_ERRORS

        app = create_app()
        from dashboard.web.app import tune_gc

        tune_gc()
        try:
            link = setup_hint(app)
        except STORE_ERRORS:  # a worker (re)starting while the store is down serves 503s until it is back
            print("The store cannot be reached; the set-up link was not checked / không kết nối được cơ sở dữ "
                  "liệu; chưa kiểm tra được đường dẫn thiết lập", file=sys.stderr, flush=True)
            link = None
        if link:  # gunicorn: the set-up path goes to the error log (prefix it with the site's address)
            print(f"No account yet / chưa có tài khoản: open {link} (or: python app.py users add NAME --role admin)",
                  file=sys.stderr, flush=True)
        return app.server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
