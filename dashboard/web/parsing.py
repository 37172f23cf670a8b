"""Reading an uploaded file in a separate process, with a time limit and a memory limit.

The loaders refuse unsafe files before parsing them (:mod:`loaders.safety`), but a parser bug or a file
shaped to be slow should cost one short-lived process, not a web worker: a fresh interpreter (no fork of
a threaded server) reads the file under ``PARSE_MEMORY_MB`` of address space and is killed after
``PARSE_TIMEOUT`` seconds. Either way the person sees one sentence in Vietnamese and English. Starting
the reader costs about 0,6 s.

Run as ``python -m dashboard.web.parsing``: reads a pickled request on standard input, writes a pickled
answer on standard output.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from dashboard import settings
from loaders.model import LoadResult, UnreadableFileError

ROOT = Path(__file__).resolve().parents[2]


def load_isolated(data: bytes, *, filename: str, **kwargs: Any) -> LoadResult:
    """``loaders.load(data, filename=…, …)`` in a child process; raises ``UnreadableFileError`` when the file
    cannot be read, takes too long, needs too much memory, or makes the reader fail."""
    timeout = settings.get_int("PARSE_TIMEOUT")
    request = pickle.dumps({"data": data, "kwargs": {"filename": filename, **kwargs},
                            "memory_mb": settings.get_int("PARSE_MEMORY_MB")})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "dashboard.web.parsing"], input=request, capture_output=True,
                              timeout=timeout, cwd=ROOT, env=env, check=False)
    except subprocess.TimeoutExpired:
        kind, payload = "timeout", None
    else:
        try:
            kind, payload = pickle.loads(done.stdout) if done.returncode == 0 else ("died", done.returncode)
        except (pickle.UnpicklingError, EOFError, ValueError):
            kind, payload = "died", done.returncode
    if kind == "ok":
        return payload
    if kind == "unreadable":
        raise UnreadableFileError(*payload)
    if kind == "timeout":
        raise UnreadableFileError(
            "parse_timeout",
            f"Đọc tệp “{filename}” quá {timeout} giây nên đã dừng; hãy kiểm tra tệp hoặc chia nhỏ tệp.",
            f"Reading “{filename}” took over {timeout} seconds and was stopped; check the file or split it.")
    if kind == "memory":
        raise UnreadableFileError(
            "parse_memory", f"Tệp “{filename}” cần quá nhiều bộ nhớ để đọc nên đã bị từ chối.",
            f"The file “{filename}” needs too much memory to read and was refused.")
    raise UnreadableFileError(
        "parse_failed", f"Không đọc được tệp “{filename}”: trình đọc gặp lỗi. Hãy lưu lại tệp bằng Excel rồi thử lại.",
        f"The file “{filename}” could not be read: the reader failed. Save it again with Excel and retry.")


def _serve() -> None:
    request = pickle.loads(sys.stdin.buffer.read())
    limit = int(request["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from loaders import load

        answer: tuple[str, Any] = ("ok", load(request["data"], **request["kwargs"]))
    except UnreadableFileError as error:
        answer = ("unreadable", (error.code, error.message_vi, error.message_en))
    except MemoryError:
        answer = ("memory", None)
    except Exception as error:  # any parser failure becomes a refusal, never a traceback
        answer = ("failed", type(error).__name__)
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve()
