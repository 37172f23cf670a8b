"""Chart images (PNG, SVG, PDF) rendered on the server by kaleido driving Debian's Chromium.

One kaleido server per process, started on first use with MathJax off (``pio.defaults.mathjax`` is ignored:
the page would load MathJax from a CDN), the browser pinned by ``BROWSER_PATH``; kaleido's ``get_chrome``
(which downloads a browser) is never called. The server is not thread-safe — concurrent calls got each
other's images — so calls are serialized by a lock. A process forked from one with a running server (a
background job) starts its own: the parent's server thread does not exist in the child.

The image carries its own words: the title, the period and scope under it, and the source line at the
bottom, in a Vietnamese-complete font named in the figure template.
"""

from __future__ import annotations

import copy
import logging
import os
import threading

import plotly.graph_objects as go

from dashboard import charts, settings
from dashboard.exports.common import CHART_FORMATS, Caption, ExportError, caption, no_figures, unknown_chart
from dashboard.figures import FONT_FAMILY
from dashboard.formatting import Lang, plotly_separators, safe_text
from dashboard.web.view import View

WIDTH, HEIGHT, SCALE = 1000, 620, 2  # PNG 2000 × 1240 px
SOURCE_MARGIN = 130  # px kept at the bottom for the axis title and the source line
TOP_MARGIN = 160  # px above the plot: title, period and scope, then the legend

_lock = threading.Lock()
_owner_pid: int | None = None


def _server():
    import kaleido

    for name in ("kaleido", "choreographer"):  # their INFO lines ("Getting tab from queue"…) would fill the logs
        logging.getLogger(name).setLevel(logging.WARNING)
    return kaleido._global_server  # the module's singleton behind start_sync_server / calc_fig_sync


def start() -> None:
    """Start this process's kaleido server if it is not running (a no-op when it is)."""
    global _owner_pid
    os.environ.setdefault("BROWSER_PATH", settings.get("BROWSER_PATH"))
    if not os.path.exists(os.environ["BROWSER_PATH"]):
        raise ExportError("no_browser", f"Không tìm thấy trình duyệt Chromium ({os.environ['BROWSER_PATH']}).",
                          f"Chromium was not found ({os.environ['BROWSER_PATH']}).")
    import kaleido

    server = _server()
    if server.is_running() and _owner_pid != os.getpid():
        # inherited through fork: the server thread and its browser belong to the parent
        server._initialized = False
    if not server.is_running():
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _owner_pid = os.getpid()


def running() -> bool:
    """This process has a kaleido server of its own."""
    return _server().is_running() and _owner_pid == os.getpid()


def stop() -> None:
    """Stop this process's server (and its Chromium); the next image starts a new one."""
    global _owner_pid
    with _lock:
        server = _server()
        if server.is_running() and _owner_pid == os.getpid():
            server.close(silence_warnings=True)
        _owner_pid = None


def decorate(fig: go.Figure, words: Caption, *, lang: Lang = "vi") -> go.Figure:
    """A copy of ``fig`` with the title, the period/scope line and the source line drawn inside it."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    bottom = max(SOURCE_MARGIN, int(out.layout.margin.b or 0))
    out.update_layout(
        title={"text": safe_text(words.title), "subtitle": {"text": safe_text(words.subtitle)},
               "x": 0.0, "xanchor": "left", "xref": "container", "pad": {"l": 24},
               "y": 0.975, "yanchor": "top", "yref": "container", "font": {"size": 20}},
        font={"family": FONT_FAMILY}, separators=plotly_separators(lang),
        margin={"t": TOP_MARGIN, "b": bottom}, paper_bgcolor="white",
    )
    out.add_annotation(text=safe_text(words.source), xref="paper", yref="paper", x=0, y=0, xanchor="left",
                       yanchor="top", yshift=-(bottom - 22), showarrow=False, align="left",
                       font={"family": FONT_FAMILY, "size": 12, "color": "#424242"})
    return out


def render(fig: go.Figure, fmt: str, *, width: int = WIDTH, height: int = HEIGHT, scale: float = SCALE) -> bytes:
    """Bytes of the figure as PNG, SVG or PDF."""
    if fmt not in CHART_FORMATS:
        raise ExportError("format_unknown", "Định dạng ảnh phải là png, svg hoặc pdf.",
                          "The image format must be png, svg or pdf.")
    with _lock:
        start()
        return _server().call_function("calc_fig", fig, opts={"format": fmt, "width": width, "height": height,
                                                              "scale": scale if fmt == "png" else 1})


def chart_figure(chart_id: str, view: View, lang: Lang = "vi") -> go.Figure:
    """The chart as it is exported: the page's figure with its words inside."""
    if chart_id not in charts.BY_ID:
        raise unknown_chart(chart_id)
    if view.period_id is None or view.facts.empty:
        raise no_figures()
    fig, _table = charts.build(chart_id, view, lang)
    return decorate(fig, caption(chart_id, view, lang), lang=lang)


def chart_image(chart_id: str, view: View, fmt: str = "png", lang: Lang = "vi") -> bytes:
    return render(chart_figure(chart_id, view, lang), fmt)
