"""The WSGI application served by ``danang-sdi serve``: pygeoapi's Flask app plus our extensions.

OGC API Features is at ``/``. ``PYGEOAPI_CONFIG`` and ``PYGEOAPI_OPENAPI`` must be set before the first call
(pygeoapi reads them when its Flask module is imported); ``danang_sdi.publish.server`` does that. The vector
tiles and the map viewer are a Flask blueprint (``tiles_routes``) whose files come from the environment too.
"""

from __future__ import annotations

from flask import Flask

from danang_sdi.publish import pygeoapi_extensions, tiles_routes

INSTALLED = "danang_sdi"


def create_app() -> Flask:
    """The app, for gunicorn: ``gunicorn 'danang_sdi.publish.app:create_app()'``."""
    from pygeoapi import flask_app

    app = flask_app.APP
    if INSTALLED not in app.extensions:
        pygeoapi_extensions.install(app, flask_app.CONFIG)
        tiles_routes.install(app, tiles_routes.MapFiles.from_env())
        app.extensions[INSTALLED] = True
    return app
