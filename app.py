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
        return create_app().server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
