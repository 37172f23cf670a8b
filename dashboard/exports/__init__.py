"""Exports: chart images, tables as official-form workbooks, the report pack and import templates.

Every export starts from a ``View`` (``dashboard.web.view.resolve`` of a scoped snapshot) and the chart
catalogue (``dashboard.charts``), so its numbers are those of the screen.
"""
