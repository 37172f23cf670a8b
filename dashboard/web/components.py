"""Pieces shared by the pages."""

# Every chart: no Plotly logo, no "send to cloud", and the modebar's PNG download at high resolution.
GRAPH_CONFIG = {"displaylogo": False, "showSendToCloud": False,
                "toImageButtonOptions": {"format": "png", "scale": 2, "width": 1600, "height": 900}}
