"""The overlay: the city's published layers as vector tiles (MBTiles), kept current load by load.

``build_overlay`` renders every tile of every layer with ``publish.tiles``; ``update_overlay`` re-renders
only the tiles that one load's extent touches (``sdi_meta.batch.extent``: old and new geometries), at every
zoom of that layer, and writes them in place. ``refresh_overlay`` is what a load and a rollback call: it
does nothing until an overlay has been built.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from danang_sdi.catalog import Catalog
from danang_sdi.errors import SdiError, TileError
from danang_sdi.settings import Settings
from danang_sdi.store.database import connect
from danang_sdi.tiles.archive import check_writable, open_writer
from danang_sdi.tiles.grid import tms_row
from danang_sdi.tiles.overlay_render import (
    check_views,
    feature_bounds,
    normalised_bounds,
    overlay_metadata,
    render_tiles,
    tiled_layers,
    tiles_touching,
    zooms_of,
)

OVERLAY_FILE = "overlay.mbtiles"
Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverlayResult:
    output: Path
    layers: list[str]
    tiles: int
    total_bytes: int
    seconds: float


@dataclass(frozen=True)
class OverlayUpdate:
    """What one batch changed in the overlay: tiles examined, rewritten (new or different) and removed."""

    batch_id: int
    layer: str
    examined: int
    rewritten: int
    removed: int


def overlay_path(settings: Settings) -> Path:
    return settings.home / "tiles" / OVERLAY_FILE


def build_overlay(
    settings: Settings,
    catalog: Catalog,
    out: Path | None = None,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> OverlayResult:
    """Render every published layer with ``publish.tiles`` into the MBTiles ``out`` (default in ``home``)."""
    started = time.perf_counter()
    out = Path(out) if out is not None else overlay_path(settings)
    if out.suffix.lower() != ".mbtiles":
        raise TileError(f"{out}: the overlay is an MBTiles file (it is updated in place after each load)")
    layers = tiled_layers(catalog)
    if not layers:
        raise TileError("no published layer of the catalog has publish.tiles: nothing to render")
    if out.exists() and not overwrite:
        raise TileError(
            f"{out}: the overlay exists and loads keep it current; pass --rebuild to render it again"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    check_writable(out, overwrite=True)
    count = size = 0
    with connect(settings) as conn:
        check_views(conn, layers)
        metadata = overlay_metadata(conn, layers)
        bounds = {layer.id: feature_bounds(conn, layer) for layer in layers}
        zooms = sorted({z for layer in layers for z in zooms_of(layer)})
        writer = open_writer(out)
        try:
            for step, z in enumerate(zooms):
                wanted = {
                    layer.id: tiles_touching(bounds[layer.id], z) for layer in layers if z in zooms_of(layer)
                }
                for (x, y), data in sorted(render_tiles(conn, layers, z, wanted).items()):
                    writer.write(z, x, y, data)
                    count, size = count + 1, size + len(data)
                if progress:
                    progress(step + 1, len(zooms))
            writer.close(metadata)
        except BaseException:
            writer.abort()
            raise
    return OverlayResult(out, [layer.id for layer in layers], count, size, time.perf_counter() - started)


def update_overlay(
    settings: Settings, catalog: Catalog, batch_id: int, out: Path | None = None
) -> OverlayUpdate:
    """Re-render the overlay tiles that batch ``batch_id`` touched, at every zoom of its layer, in place."""
    out = Path(out) if out is not None else overlay_path(settings)
    if not out.is_file():
        raise TileError(f"no overlay at {out}: build it first with 'danang-sdi tiles overlay'")
    layers = tiled_layers(catalog)
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT layer, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT layer, ST_Transform(extent, 3857) AS e FROM sdi_meta.batch WHERE id = %s) b",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise TileError(f"there is no batch {batch_id}: see 'danang-sdi batches list'")
        layer = next((each for each in layers if each.id == row[0]), None)
        if layer is None or row[1] is None:  # not a tiled layer, or the batch changed no geometry
            return OverlayUpdate(batch_id, row[0], 0, 0, 0)
        check_views(conn, layers)
        extent = normalised_bounds([row[1:]])
        try:
            metadata: dict[str, str] | None = overlay_metadata(conn, layers)
        except TileError:  # the batch removed the last feature: keep the bounds the overlay had
            metadata = None
        rendered = {}
        for z in zooms_of(layer):
            wanted = tiles_touching(extent, z)
            rendered[z] = (wanted, render_tiles(conn, layers, z, {each.id: wanted for each in layers}))
    examined, rewritten, removed = _write_in_place(out, rendered, metadata)
    return OverlayUpdate(batch_id, layer.id, examined, rewritten, removed)


def refresh_overlay(settings: Settings, catalog: Catalog, batch_ids: Iterable[int]) -> list[OverlayUpdate]:
    """After a load or a rollback: bring the overlay up to date, if there is one (a failure only warns,
    since the data themselves are committed)."""
    if not overlay_path(settings).is_file():
        return []
    updates = []
    for batch_id in batch_ids:
        try:
            update = update_overlay(settings, catalog, batch_id)
        except (SdiError, psycopg.Error, sqlite3.Error) as error:
            log.warning(
                "batch %s is committed, but the overlay tiles were not updated (%s): "
                "run 'danang-sdi tiles overlay --rebuild'",
                batch_id,
                error,
            )
            continue
        log.info(
            "overlay: %d tiles of %s rewritten, %d removed", update.rewritten, update.layer, update.removed
        )
        updates.append(update)
    return updates


def _write_in_place(
    path: Path, rendered: dict[int, tuple[list[tuple[int, int]], dict]], metadata: dict[str, str] | None
) -> tuple[int, int, int]:
    """Replace the examined tiles (one SQLite transaction; readers see the old or the new set, never half)."""
    examined = rewritten = removed = 0
    try:
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            for z, (wanted, tiles) in rendered.items():
                for x, y in wanted:
                    key = (z, x, tms_row(z, y))
                    old = db.execute(
                        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                        key,
                    ).fetchone()
                    new = tiles.get((x, y))
                    examined += 1
                    if new is None and old is not None:
                        db.execute(
                            "DELETE FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", key
                        )
                        removed += 1
                    elif new is not None and (old is None or bytes(old[0]) != new):
                        db.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (*key, new))
                        rewritten += 1
            if metadata is not None:
                db.execute("DELETE FROM metadata")
                db.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
            db.execute("COMMIT")
        finally:
            db.close()
    except sqlite3.Error as error:
        raise TileError(f"{path}: cannot update the overlay ({error}); rebuild it with --rebuild") from error
    return examined, rewritten, removed
