"""The shell shared by autofeat's self-contained HTML reports."""

from __future__ import annotations

from html import escape

__all__ = ["page_start", "PAGE_END"]

_CSS = """
body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:12px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
td.l,th.l{text-align:left}tr.flag{color:#a33}h2{margin-top:28px}.note{color:#666;font-size:12px}
"""

PAGE_END = "</body></html>"


def page_start(title: str, heading: str) -> str:
    """Doctype, head with the shared style, and the page's first heading."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{escape(heading)}</h1>")
