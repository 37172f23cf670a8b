"""Regenerate the committed sample workbooks: ``python data/samples/generate.py [OUTDIR] [--seed N]``.

All the work is in :mod:`loaders.samples`; see README.md in this folder for the layouts.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loaders.samples import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        args = [str(Path(__file__).resolve().parent), *args]
    raise SystemExit(main(args))
