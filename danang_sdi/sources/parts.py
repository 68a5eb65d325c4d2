"""Find the dataset a path names (a .shp, a .zip holding one, a GeoPackage layer...) and refuse what cannot be read.

Every refusal is a ``SourceError`` with one sentence: what is wrong with which file, and what to do.
GDAL itself reads a truncated .shp without complaint (the missing features come back as null geometries)
and a .shp without its .dbf as a layer with no attributes, so those are checked here, from the headers.
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyogrio

from danang_sdi.errors import SourceError
from danang_sdi.sources.dbf import dbf_path_for, read_dbf_header

DRIVERS = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
SHP_MAGIC = 9994
SUPPORTED = ", ".join(sorted({s for s in DRIVERS if s != ".json"}))


@dataclass(frozen=True)
class Dataset:
    """What to hand GDAL: a file on disk, its driver, the layer inside it and a name for messages."""

    path: Path
    driver: str
    layer: str | None
    label: str  # e.g. "thua_dat.shp" or "giao_nop.zip/thua_dat.shp"


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def check_shapefile(shp: Path, label: str) -> None:
    """Refuse a shapefile with a missing .shx/.dbf, or a .shp/.dbf shorter than its header says."""
    if _sibling(shp, ".shx") is None:
        raise SourceError(f"{label}: the .shx index is missing next to the .shp; copy the .shx part too")
    try:
        dbf = dbf_path_for(shp)
    except SourceError:
        raise SourceError(
            f"{label}: the .dbf attribute table is missing next to the .shp; copy the .dbf part too"
        ) from None
    head = _head(shp)
    if len(head) < 100 or struct.unpack(">i", head[:4])[0] != SHP_MAGIC:
        raise SourceError(f"{label}: not a shapefile (the .shp header is missing or damaged); copy it again")
    declared = struct.unpack(">i", head[24:28])[0] * 2
    actual = shp.stat().st_size
    if actual < declared:
        raise SourceError(
            f"{label}: the .shp is truncated ({actual:,} of {declared:,} bytes); copy the complete file again"
        )
    header = read_dbf_header(dbf)
    expected = header.header_length + header.record_count * header.record_length
    size = dbf.stat().st_size
    if size < expected:
        raise SourceError(
            f"{label}: the .dbf is truncated ({size:,} of {expected:,} bytes); copy the complete file again"
        )


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(100)


def _choose_layer(path: Path, label: str, wanted: str | None, default: str | None) -> str | None:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as error:  # GDAL's own exception types vary with the failure
        raise SourceError(
            f"{label}: cannot be opened ({_first_line(error)}); the file may be damaged"
        ) from None
    if wanted is not None:
        if wanted not in layers:
            raise SourceError(f"{label}: no layer {wanted!r} in it (layers: {', '.join(layers) or 'none'})")
        return wanted
    if len(layers) == 1:
        return layers[0]
    if default in layers:
        return default
    if not layers:
        raise SourceError(f"{label}: holds no layer; export the data into it again")
    raise SourceError(
        f"{label}: holds {len(layers)} layers ({', '.join(layers)}); choose one with --source-layer"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.rstrip(".")


def _from_file(path: Path, label: str, source_layer: str | None, default_layer: str | None) -> Dataset:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise SourceError(f"{label}: the file is empty (0 bytes); copy it again")
    if suffix == ".shp":
        check_shapefile(path, label)
        return Dataset(path, DRIVERS[suffix], None, label)
    if suffix in (".dbf", ".shx", ".prj", ".cpg"):
        raise SourceError(f"{label}: is only one part of a shapefile; give the .shp file")
    if suffix not in DRIVERS:
        raise SourceError(
            f"{label}: {suffix or 'no extension'} is not a supported format; give {SUPPORTED} or .zip"
        )
    layer = _choose_layer(path, label, source_layer, default_layer)
    return Dataset(path, DRIVERS[suffix], layer, label)


def _zip_members(
    archive: zipfile.ZipFile, label: str, source_layer: str | None
) -> tuple[PurePosixPath, list[PurePosixPath]]:
    names = [PurePosixPath(n) for n in archive.namelist() if not n.endswith("/")]
    names = [n for n in names if "__MACOSX" not in n.parts and not n.name.startswith(".")]
    if not names:
        raise SourceError(f"{label}: the zip is empty; zip the .shp with its .shx, .dbf and .prj")
    datasets = [n for n in names if n.suffix.lower() in DRIVERS]
    if source_layer is not None:
        named = [n for n in datasets if n.stem == source_layer]
        datasets = named or datasets
    if not datasets:
        shown = ", ".join(n.name for n in names[:8])
        raise SourceError(
            f"{label}: the zip holds no {SUPPORTED} dataset (it holds {shown}); zip the data files"
        )
    if len(datasets) > 1:
        shown = ", ".join(n.name for n in datasets)
        raise SourceError(
            f"{label}: the zip holds {len(datasets)} datasets ({shown}); pick one with --source-layer"
        )
    main = datasets[0]
    return main, [n for n in names if n.parent == main.parent and n.stem == main.stem]


@contextmanager
def located(
    path: str | Path, *, source_layer: str | None = None, default_layer: str | None = None
) -> Iterator[Dataset]:
    """The dataset to read behind ``path``; a zip is unpacked into a temporary folder for the duration.

    ``source_layer`` picks a layer of a GeoPackage (or a dataset in a zip); ``default_layer`` is tried
    when a GeoPackage holds several layers (the catalog layer id).
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise SourceError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, not a dataset; give the {SUPPORTED} or .zip file inside it")
    if path.suffix.lower() != ".zip":
        yield _from_file(path, label, source_layer, default_layer)
        return
    if path.stat().st_size == 0:
        raise SourceError(f"{label}: the file is empty (0 bytes); copy it again")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(
            f"{label}: not a readable zip ({_first_line(error)}); zip the files again"
        ) from None
    with archive, tempfile.TemporaryDirectory(prefix="danang-sdi-") as folder:
        main, parts = _zip_members(archive, label, source_layer)
        for member in parts:
            target = Path(folder) / member.name  # flat: a hostile path cannot escape the folder
            try:
                target.write_bytes(archive.read(str(member)))
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise SourceError(
                    f"{label}: {member} cannot be unzipped ({_first_line(error)}); zip it again"
                ) from None
        yield _from_file(Path(folder) / main.name, f"{label}/{main.name}", source_layer, default_layer)
