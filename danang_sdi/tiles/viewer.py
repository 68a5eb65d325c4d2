"""The base-map viewer page (``/map/``), shipped as package data.

It loads ``maplibre-gl.js`` and ``maplibre-gl.css`` from its own folder (the server provides them from the
npm package) and the style from ``../tiles/basemap/style.json`` (``?style=URL`` overrides it).
"""

from __future__ import annotations

from importlib.resources import files


def viewer_html() -> str:
    """The HTML of the viewer page.

    >>> "maplibre-gl.js" in viewer_html()
    True
    """
    return files("danang_sdi.tiles").joinpath("static/viewer.html").read_text("utf-8")
