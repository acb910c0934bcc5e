"""The staff console's HTML: pages (``*_pages.py``), templates, navigation, error pages and
security headers. Routers are registered by ``service.app``; who may open each page is in
``service.access.permissions``.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
