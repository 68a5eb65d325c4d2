"""``danang-sdi samples``: rebuild the committed samples, or write a city-sized parcel file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from danang_sdi.cli.main import SdiGroup


@click.group(cls=SdiGroup)
def samples() -> None:
    """Synthetic deliveries: the committed samples and big parcel files for benchmarks."""


@samples.command("build")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data_samples"))
@click.option(
    "--osm", type=click.Path(dir_okay=False, path_type=Path), help="OSM extract the streets come from."
)
def build(out_dir: Path, osm: Path | None) -> None:
    """Write every sample of the plan and manifest.yml into OUT_DIR (deterministic)."""
    from danang_sdi.samples import build_samples

    manifest = build_samples(out_dir, osm=osm)
    planted = sum(len(entry["defects"]) for entry in manifest["files"].values())
    click.echo(f"wrote {len(manifest['files'])} samples with {planted} planted defects to {out_dir}")


@samples.command("parcels")
@click.option("--count", "-n", type=int, default=560_000, show_default=True, help="Number of parcels.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write: .gpkg, .fgb, .shp or .geojson.")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def parcels(count: int, seed: int, output: Path, overwrite: bool) -> None:
    """Generate COUNT synthetic cadastral parcels (a valid coverage in EPSG:5899) and write them."""
    from danang_sdi.samples import write_parcels

    started = time.perf_counter()
    write_parcels(count, output, seed=seed, overwrite=overwrite)
    click.echo(f"wrote {count:,} parcels to {output} in {time.perf_counter() - started:.1f} s")


@samples.command("load")
@click.option(
    "--samples-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with manifest.yml [data_samples].",
)
@click.pass_context
def load(ctx: click.Context, samples_dir: Path | None) -> None:
    """Load every layer's clean sample delivery (upsert): the sample deployment of `make demo`."""
    from danang_sdi.samples.deploy import SAMPLES_DIR, load_samples

    outcomes = load_samples(ctx.obj, samples_dir=samples_dir or SAMPLES_DIR, say=click.echo)
    click.echo(f"{len(outcomes)} layers hold their sample deliveries")
