"""The raw query of the request being served, for the provider.

pygeoapi calls a provider's ``query()`` with parsed values only (the bbox already moved to the storage CRS,
no URL). Our provider needs the request itself for two things: to write its own ``next`` link (same query,
plus a keyset ``cursor``) and to reproject the bbox as a polygon in PostGIS rather than by two corners. The
app sets this state before each request (``pygeoapi_extensions``) and clears it after; outside our app the
state is absent and the provider falls back to pygeoapi's own behaviour.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestState:
    base_url: str  # the server's public URL, from the configuration (no trailing slash)
    path: str  # e.g. /collections/cadastral_parcel/items
    args: list[tuple[str, str]]  # the query string, in order
    last_page: bool = field(default=False)  # set by the provider: no next link may be offered

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.args if key == name), None)


_CURRENT: ContextVar[RequestState | None] = ContextVar("danang_sdi_request_state", default=None)


def current() -> RequestState | None:
    return _CURRENT.get()


def begin(state: RequestState):
    return _CURRENT.set(state)


def end(token) -> None:
    _CURRENT.reset(token)
