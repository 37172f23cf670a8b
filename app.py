"""Thống kê đảng viên — the command line and (later) the web app.

    python app.py import FILE... [--dry-run] [--create-orgs]     see `python app.py --help`
"""

import sys

from dashboard.cli import main

if __name__ == "__main__":
    sys.exit(main())
