"""Our pygeoapi feature provider for the ``sdi_pub`` views, named by dotted path in the configuration.

It subclasses pygeoapi's PostgreSQL provider for the connection pool and the table reflection, and replaces
what makes the stock one slow or wrong on the city's data:

- paging by keyset (``cursor`` in the ``next`` link) instead of OFFSET: the same cost on page 1 and page 5,000;
- ``numberMatched`` from the planner's estimate when nothing filters the layer, an exact count when something
  does (``number_matched`` in the configuration; estimates below ``exact_below`` are counted exactly);
- CQL2, bbox, datetime and property filters as SQL with bound values; geometry reprojected (and axes swapped
  for EPSG:4326) in PostGIS, never per feature in Python;
- the catalog's property schema (types, code lists as enums, Vietnamese titles) for ``/schema`` and
  ``/queryables``; unknown query parameters and properties are refused with 400.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from pygeoapi.crs import DEFAULT_CRS, get_srid
from pygeoapi.provider.base import (
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)
from pygeoapi.provider.sql import PostgreSQLProvider
from pygeofilter.backends.sqlalchemy.evaluate import to_filter
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.exc import DataError, InternalError, OperationalError, SQLAlchemyError

from danang_sdi.publish import keyset, request_state, sql_parts
from danang_sdi.publish.fields import DEFAULT_LANGUAGE, localize

LOGGER = logging.getLogger(__name__)

CURSOR_PARAMETER = "cursor"
MAX_ID = 2**63 - 1
COUNT_MODES = ("estimate", "exact", "none")
GEOMETRY_LABEL = "__geometry"
SORT_AFTER_FILTER_MAX = 50_000  # a bbox selecting fewer rows is read through the spatial index, then sorted


class CatalogPostgreSQLProvider(PostgreSQLProvider):
    """Read-only provider for one ``sdi_pub`` view, configured by ``danang_sdi.publish.config``."""

    def __init__(self, provider_def: dict[str, Any]):
        self.catalog_fields: dict[str, dict[str, Any]] = provider_def["fields"]
        self.temporal: dict[str, str | None] = provider_def.get("temporal") or {}
        counting = {"unfiltered": "estimate", "filtered": "exact", "exact_below": 0}
        counting |= provider_def.get("number_matched") or {}
        if counting["unfiltered"] not in COUNT_MODES or counting["filtered"] not in COUNT_MODES:
            raise ProviderConnectionError(f"number_matched modes must be one of {COUNT_MODES}: {counting}")
        self.counting = counting
        super().__init__(provider_def)
        self.columns = self.table_model.__table__.c
        self.storage_srid = get_srid(self.storage_crs)

    def get_fields(self) -> dict[str, dict[str, Any]]:
        if not self._fields:
            self._fields = localize(self.catalog_fields, DEFAULT_LANGUAGE)
        return self._fields

    def query(
        self,
        offset=0,
        limit=10,
        resulttype="results",
        bbox=None,
        datetime_=None,
        properties=None,
        sortby=None,
        select_properties=None,
        skip_geometry=False,
        q=None,
        filterq=None,
        crs_transform_spec=None,
        **kwargs,
    ):
        state = request_state.current()
        cursor_token, equalities = self._split_parameters(properties or [])
        order = keyset.ordering(sortby or [], self.id_field)
        where = self._where(state, bbox or [], datetime_, equalities, filterq)
        response: dict[str, Any] = {"type": "FeatureCollection", "features": [], "numberReturned": 0}
        page_where = list(where)
        if cursor_token:
            try:
                last = keyset.decode_cursor(cursor_token, order, self.fields)
            except keyset.CursorError as exc:
                raise ProviderInvalidQueryError(user_msg=str(exc)) from exc
            page_where.append(order.after(self.columns, last))
        names = self._output_names(select_properties or [])
        selected = list(dict.fromkeys([*names, self.id_field, *(k.name for k in order.keys)]))
        columns: list[ColumnElement] = [self.columns[n] for n in selected]
        if not skip_geometry:
            target = crs_transform_spec.target_crs_uri if crs_transform_spec else None
            geometry = sql_parts.geometry_json(self.columns[self.geom], self.storage_srid, target)
            columns.append(geometry.label(GEOMETRY_LABEL))
        spatial = bool(bbox) or bool(state and state.get("bbox"))
        with self._database_errors(), self._engine.connect() as conn:
            matched = self._number_matched(conn, where, resulttype)
            if matched is not None:
                response["numberMatched"] = matched
            if resulttype == "hits":
                return response
            small = spatial and matched is not None and matched <= SORT_AFTER_FILTER_MAX
            statement = (
                select(*columns)
                .where(*page_where)
                .order_by(*order.clauses(self.columns, sort_after_filter=small))
                .limit(limit + 1)
                .offset(offset or None)
            )
            rows = conn.execute(statement).mappings().all()
        more = len(rows) > limit
        rows = rows[:limit]
        response["features"] = [self._feature(row, names) for row in rows]
        response["numberReturned"] = len(rows)
        if state is not None:
            if more:
                token = keyset.encode_cursor(order, [rows[-1][k.name] for k in order.keys])
                response["links"] = [self._next_link(state, token)]
            else:
                state.last_page = True
        return response

    def get(self, identifier, crs_transform_spec=None, **kwargs):
        try:
            fid = int(identifier)
        except (TypeError, ValueError):
            fid = None
        if fid is None or not -MAX_ID <= fid <= MAX_ID:
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r} in this collection")
        names = self._output_names([])
        target = crs_transform_spec.target_crs_uri if crs_transform_spec else None
        geometry = sql_parts.geometry_json(self.columns[self.geom], self.storage_srid, target)
        statement = select(*(self.columns[n] for n in names), geometry.label(GEOMETRY_LABEL)).where(
            self.columns[self.id_field] == fid
        )
        with self._database_errors(), self._engine.connect() as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r} in this collection")
        return self._feature(row, names)

    def _split_parameters(self, properties: list[tuple[str, str]]) -> tuple[str | None, list[ColumnElement]]:
        """The keyset cursor and property=value filters; any other query parameter is an error."""
        cursor = None
        equalities = []
        for name, value in properties:
            if name == CURSOR_PARAMETER:
                cursor = value
            elif name in self.fields:
                try:
                    equalities.append(self.columns[name] == sql_parts.typed_value(value, self.fields[name]))
                except ValueError as exc:
                    raise ProviderInvalidQueryError(
                        user_msg=f"{name}={value!r} is not a valid {self.fields[name]['type']}"
                    ) from exc
            else:
                raise ProviderInvalidQueryError(
                    user_msg=f"unknown query parameter {name!r}: see the API definition (/openapi) and /queryables"
                )
        return cursor, equalities

    def _where(self, state, bbox, datetime_, equalities, filterq) -> list[ColumnElement]:
        where: list[ColumnElement] = list(equalities)
        raw_bbox = state.get("bbox") if state else None
        if raw_bbox:
            values = [float(v) for v in raw_bbox.split(",")]
            box = sql_parts.envelope(values, state.get("bbox-crs") or DEFAULT_CRS, self.storage_srid)
            where.append(func.ST_Intersects(self.columns[self.geom], box))
        elif bbox:
            box = sql_parts.envelope(list(bbox), self.storage_crs_uri, self.storage_srid)
            where.append(func.ST_Intersects(self.columns[self.geom], box))
        if datetime_ and datetime_ not in ("..", "../.."):
            where += self._datetime(datetime_)
        if filterq is not None:
            where.append(self._cql(filterq))
        return where

    @property
    def storage_crs_uri(self) -> str:
        return f"http://www.opengis.net/def/crs/EPSG/0/{self.storage_srid}"

    def _datetime(self, value: str) -> list[ColumnElement]:
        if not self.temporal:
            raise ProviderInvalidQueryError(
                user_msg="this collection has no time: remove the datetime parameter"
            )
        start = self.columns[self.temporal["start"]]
        end = self.columns[self.temporal["end"]] if self.temporal.get("end") else None
        try:
            condition = sql_parts.datetime_condition(value, start, end)
        except ValueError as exc:
            raise ProviderInvalidQueryError(user_msg=f"datetime {value!r} is not RFC 3339") from exc
        return [] if condition is None else [condition]

    def _cql(self, filterq) -> ColumnElement:
        mapping = {name: self.columns[name] for name in self.fields}
        mapping[self.geom] = self.columns[self.geom]
        try:
            return to_filter(filterq, mapping, undefined_as_null=False)
        except KeyError as exc:
            raise ProviderInvalidQueryError(
                user_msg=f"filter names {exc.args[0]!r}, which is not a queryable of this collection"
            ) from exc
        except (NotImplementedError, AttributeError, TypeError, ValueError) as exc:
            raise ProviderInvalidQueryError(user_msg=f"filter is not supported: {exc}") from exc

    def _number_matched(self, conn, where: list[ColumnElement], resulttype: str) -> int | None:
        mode = self.counting["filtered" if where else "unfiltered"]
        if mode == "none" and resulttype != "hits":
            return None
        if mode == "estimate":
            estimate = self._estimate(conn, where)
            if estimate >= int(self.counting["exact_below"]):
                return estimate
        table = self.table_model.__table__
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    def _estimate(self, conn, where: list[ColumnElement]) -> int:
        """The planner's row estimate (``EXPLAIN``): statistics, no scan."""
        statement = select(literal_column("1")).select_from(self.table_model.__table__).where(*where)
        compiled = statement.compile(dialect=conn.dialect)
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def _output_names(self, select_properties: list[str]) -> list[str]:
        if select_properties:
            return [n for n in dict.fromkeys(select_properties) if n in self.fields]
        return list(self.fields)

    def _feature(self, row, names: list[str]) -> dict[str, Any]:
        geometry = row.get(GEOMETRY_LABEL)
        return {
            "type": "Feature",
            "id": row[self.id_field],
            "geometry": json.loads(geometry) if geometry else None,
            "properties": {name: row[name] for name in names},
        }

    def _next_link(self, state: request_state.RequestState, token: str) -> dict[str, str]:
        args = [(k, v) for k, v in state.args if k not in (CURSOR_PARAMETER, "offset")]
        args.append((CURSOR_PARAMETER, token))
        html = state.get("f") == "html"
        return {
            "type": "text/html" if html else "application/geo+json",
            "rel": "next",
            "title": "Items (next)",
            "href": f"{state.base_url}{state.path}?{urllib.parse.urlencode(args)}",
        }

    def _database_errors(self):
        return _DatabaseErrors()


class _DatabaseErrors:
    """Database failures as pygeoapi errors: bad values from the client → 400, the rest → 500 with a reason."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or not isinstance(error, SQLAlchemyError):
            return False
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        LOGGER.warning("query failed: %s", reason)
        if isinstance(error, DataError | InternalError):
            raise ProviderInvalidQueryError(
                user_msg=f"the database refused a value of the query: {reason}"
            ) from error
        if isinstance(error, OperationalError) and "statement timeout" in reason:
            raise ProviderQueryError(
                user_msg="the query took too long: narrow it with bbox or filter"
            ) from error
        if isinstance(error, OperationalError):
            raise ProviderConnectionError(user_msg="the database is not reachable") from error
        raise ProviderQueryError(user_msg="the query failed (see the server log)") from error
