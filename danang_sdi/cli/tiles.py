"""``danang-sdi tiles``: build the OSM base map as Shortbread vector tiles, cut offline packages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from danang_sdi.tiles import shortbread


class BBox(click.ParamType):
    """``W,S,E,N`` in degrees."""

    name = "W,S,E,N"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            parts = tuple(float(v) for v in value.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 4:
            self.fail(
                f"{value!r} is not west,south,east,north (four numbers, e.g. 108.20,16.04,108.23,16.07)",
                param,
                ctx,
            )
        return parts


@click.group()
def tiles() -> None:
    """Vector tiles: the OpenStreetMap base map (Shortbread 1.0) and the overlay of the city's own layers."""


@tiles.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="OUT.mbtiles, OUT.pmtiles or a folder.",
)
@click.option("--minzoom", type=click.IntRange(0, shortbread.MAXZOOM), default=0, show_default=True)
@click.option(
    "--maxzoom", type=click.IntRange(0, shortbread.MAXZOOM), default=shortbread.MAXZOOM, show_default=True
)
@click.option("--bbox", type=BBox(), default=None, help="Only tiles and features touching this box.")
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes [default: all cores, one for a small area].",
)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def build(
    source: Path,
    output: Path,
    minzoom: int,
    maxzoom: int,
    bbox: tuple[float, float, float, float] | None,
    processes: int | None,
    overwrite: bool,
) -> None:
    """Build the base map of SOURCE (.osm.pbf) into OUTPUT."""
    from danang_sdi.tiles.build import build_tiles

    with _progress("cutting tiles") as progress:
        result = build_tiles(
            source,
            output,
            minzoom=minzoom,
            maxzoom=maxzoom,
            bbox=bbox,
            processes=processes,
            overwrite=overwrite,
            progress=progress,
        )
    z, x, y, largest = result.largest
    click.echo(
        f"{result.output}: {result.tiles} tiles z{min(result.tiles_per_zoom)}–z{max(result.tiles_per_zoom)}, "
        f"{result.total_bytes / 1024:.0f} KiB ({result.format}), largest {z}/{x}/{y} {largest / 1024:.0f} KiB, "
        f"{result.features} features, {result.seconds:.1f} s"
    )
    if result.skipped_objects:
        click.echo(f"{result.skipped_objects} OSM objects skipped: missing nodes or broken rings", err=True)


@tiles.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--bbox", type=BBox(), default=None, help="The area to keep.")
@click.option(
    "--boundary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A GeoJSON (Multi)Polygon in WGS 84, e.g. one ward, instead of --bbox.",
)
@click.option(
    "--commune", default=None, help="Code of a ward or commune valid today, from the loaded boundaries."
)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def extract(
    source: Path,
    output: Path,
    bbox: tuple[float, float, float, float] | None,
    boundary: Path | None,
    commune: str | None,
    overwrite: bool,
) -> None:
    """Copy the tiles of SOURCE (an archive) that touch an area into OUTPUT, e.g. one ward for offline use."""
    from danang_sdi.tiles.extract import extract_tiles

    area = None
    if commune is not None:
        from danang_sdi.catalog import load_catalog
        from danang_sdi.tiles.commune import commune_boundary

        if bbox is not None or boundary is not None:
            raise click.UsageError("give exactly one of --bbox, --boundary or --commune")
        settings = _settings()
        area = commune_boundary(settings, load_catalog(settings.layers_dir), commune)
    result = extract_tiles(source, output, bbox=bbox, boundary=boundary, area=area, overwrite=overwrite)
    click.echo(f"{result.output}: {result.tiles} tiles, {result.total_bytes / 1024:.0f} KiB")


@tiles.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The MBTiles file [default: <home>/tiles/overlay.mbtiles, which loads keep current].",
)
@click.option("--rebuild", is_flag=True, help="Render every tile again, replacing the existing overlay.")
@click.option(
    "--batch", "batch_id", type=int, default=None, help="Only re-render the tiles this load touched."
)
def overlay(output: Path | None, rebuild: bool, batch_id: int | None) -> None:
    """Render the city's published layers (publish.tiles in the catalog) from PostGIS into vector tiles.

    Once the overlay exists, every 'danang-sdi load' and rollback re-renders the tiles it touched.
    """
    from danang_sdi.catalog import load_catalog
    from danang_sdi.tiles.overlay import build_overlay, overlay_path, update_overlay

    settings = _settings()
    catalog = load_catalog(settings.layers_dir)
    if batch_id is not None:
        if rebuild:
            raise click.UsageError("give --rebuild or --batch, not both")
        update = update_overlay(settings, catalog, batch_id, output)
        click.echo(
            f"batch {batch_id} ({update.layer}): {update.examined} tiles examined, "
            f"{update.rewritten} rewritten, {update.removed} removed"
        )
        return
    with _progress("rendering the overlay") as progress:
        result = build_overlay(settings, catalog, output, overwrite=rebuild, progress=progress)
    target = output or overlay_path(settings)
    click.echo(
        f"{target}: {result.tiles} tiles, {result.total_bytes / 1024:.0f} KiB, "
        f"{len(result.layers)} layers, {result.seconds:.1f} s"
    )


def _settings():
    """The settings the ``danang-sdi`` group built, or the environment's (``python -m danang_sdi.tiles``)."""
    from danang_sdi.settings import Settings

    return click.get_current_context().find_object(Settings) or Settings.from_env()


class _progress:
    """A rich progress bar on an interactive stderr, nothing otherwise (logs and pipes stay clean)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
