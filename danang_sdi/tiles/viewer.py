"""The map viewer page (``/map/``), shipped as package data.

It loads ``maplibre-gl.js`` and ``maplibre-gl.css`` from its own folder (the server provides them from the
npm package) and the style from ``style.json`` beside it: the base map with the overlay of the city's layers
(``?style=URL`` overrides it). A click on a feature of the overlay shows its public attributes.
"""

from __future__ import annotations

from importlib.resources import files


def viewer_html() -> str:
    """The HTML of the viewer page.

    >>> "maplibre-gl.js" in viewer_html()
    True
    """
    return files("danang_sdi.tiles").joinpath("static/viewer.html").read_text("utf-8")
