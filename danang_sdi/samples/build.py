"""Build every committed sample and ``manifest.yml`` from ``plan.yml``, deterministically.

The manifest is what the validator's tests assert: for each file its layer, encoding, real and declared
CRS, the field names it uses, and every planted defect (rule, feature index, field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import yaml

from danang_sdi.errors import SourceError
from danang_sdi.samples import (
    defects,
    landuse,
    networks,
    osm_features,
    planning,
    power,
    telecom,
    transport,
    utilities,
    wards,
)
from danang_sdi.samples.context import HERE, Context
from danang_sdi.samples.parcels import generate_parcels
from danang_sdi.samples.streets import OSM_EXTRACT, Streets, read_streets
from danang_sdi.samples.writers import Style, legacy_safe, write_sample
from danang_sdi.settings import PROJECT_DIR

MANIFEST = "manifest.yml"
WITHIN_CITY_OF_5899 = ("EPSG:5898",)  # zones whose coordinates, read as EPSG:5899, still fall in the city
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


def default_osm_path() -> Path:
    return SHARED_DATA / OSM_EXTRACT


def read_plan(path: Path | None = None) -> dict[str, Any]:
    return yaml.safe_load((path or HERE / "plan.yml").read_text(encoding="utf-8"))


@dataclass
class Sources:
    """The clean features of every source in the plan, made once and shared by the files that use them."""

    seed: int
    parcel_count: int
    osm: Path
    context: Context = field(default_factory=Context)

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    def parcels(self, encoding: str | None = None) -> gpd.GeoDataFrame:
        if encoding is None:
            return self.clean_parcels

        def text_ok(text: str) -> bool:
            return legacy_safe(text, encoding)

        return generate_parcels(self.parcel_count, self.seed, context=self.context, text_ok=text_ok)

    @cached_property
    def clean_parcels(self) -> gpd.GeoDataFrame:
        return generate_parcels(self.parcel_count, self.seed, context=self.context)

    @cached_property
    def plan(self) -> planning.Plan:
        return planning.plan_over(self.clean_parcels, self.rng(1), self.context)

    @cached_property
    def ward_split(self) -> wards.WardSplit:
        extent = shapely.union_all([shapely.box(*self.clean_parcels.total_bounds), self.area])
        return wards.WardSplit.covering(
            extent, self.context, self.context.recipe(wards.LAYER)["settings"]["wards"]
        )

    @cached_property
    def street_lines(self) -> networks.Lines:
        """Every street of the sample area, dead ends included, split at junctions."""
        return networks.noded(networks.clip(self.streets, self.area))

    @cached_property
    def junctions(self) -> transport.Junctions:
        return transport.junctions(self.streets, self.street_lines)

    @cached_property
    def streets(self) -> Streets:
        if not self.osm.is_file():
            raise SourceError(
                f"{self.osm}: the OSM extract is missing; the street-based samples are drawn on it "
                "(give its path with --osm)"
            )
        return read_streets(self.osm)

    @cached_property
    def area(self):
        return networks.sample_area(self.streets)

    @cached_property
    def network(self) -> networks.Lines:
        return networks.looped(networks.noded(networks.clip(self.streets, self.area)))

    @cached_property
    def major(self) -> networks.Lines:
        return networks.clip(self.streets, self.area, self.streets.major())

    @cached_property
    def water_pipes(self) -> gpd.GeoDataFrame:
        lines = networks.shifted(self.network, networks.PIPE_SHIFT_M)
        return utilities.water_pipes(self.streets, lines, self.rng(3), self.context)

    @cached_property
    def drainage(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        lines = networks.shifted(self.network, networks.CONDUIT_SHIFT_M)
        return utilities.drainage(lines, self.rng(5), self.context)

    def get(self, name: str) -> gpd.GeoDataFrame:
        makers: dict[str, Callable[[], gpd.GeoDataFrame]] = {
            "parcels": self.parcels,
            "parcels_tcvn3": lambda: self.parcels("tcvn3"),
            "parcels_vni": lambda: self.parcels("vni"),
            "planning_lots": lambda: planning.planning_lots(self.plan, self.rng(1), self.context),
            "planning_boundary": lambda: planning.planning_boundaries(
                self.plan, self.ward_split.ward_at(self.plan.boundary).name, self.rng(8), self.context
            ),
            "land_use_zones": lambda: landuse.land_use_zones(self.clean_parcels, self.rng(9), self.context),
            "admin_communes": lambda: wards.admin_communes(self.ward_split, self.rng(10), self.context),
            "traffic_signals": lambda: transport.traffic_signals(
                osm_features.traffic_signals(self.osm),
                self.area,
                self.junctions,
                self.ward_split,
                self.rng(11),
                self.context,
            ),
            "accident_blackspots": lambda: transport.blackspots(
                self.junctions, osm_features.schools(self.osm), self.ward_split, self.rng(12), self.context
            ),
            "bridges": lambda: transport.bridges(self.osm, self.ward_split, self.rng(13), self.context),
            "telecom_sites": lambda: telecom.telecom_sites(
                self.streets, self.street_lines, self.ward_split, self.rng(14), self.context
            ),
            "power_lines": lambda: power.feeders(self.network, self.area, self.rng(15), self.context),
            "road_centerlines": lambda: utilities.road_centerlines(
                self.streets, self.network, self.rng(2), self.context
            ),
            "water_pipes": lambda: self.water_pipes,
            "water_nodes": lambda: utilities.water_nodes(self.water_pipes, self.rng(4), self.context),
            "drainage_conduits": lambda: self.drainage[0],
            "manholes": lambda: self.drainage[1],
            "street_lights": lambda: utilities.street_lights(
                self.streets, self.major, self.rng(6), self.context
            ),
            "urban_trees": lambda: utilities.urban_trees(self.streets, self.major, self.rng(7), self.context),
        }
        if name not in makers:
            raise SourceError(f"plan.yml: unknown source {name!r} (known: {', '.join(sorted(makers))})")
        return makers[name]()


def _crs_entry(style: Style, layer_crs: str) -> dict[str, Any]:
    """The CRS the coordinates are in, the one the file declares, and whether the city outline can tell."""
    real = style.output_crs or style.coordinates or layer_crs
    declared = None if not style.prj else (style.output_crs or layer_crs)
    detectable = not (style.coordinates and style.coordinates in WITHIN_CITY_OF_5899)
    return {"crs": real, "crs_declared": declared, "swapped_xy": style.swap_xy, "crs_detectable": detectable}


def build_samples(out_dir: Path, *, osm: Path | None = None, plan: dict[str, Any] | None = None) -> dict:
    """Write every file of the plan into ``out_dir`` and return the manifest (also written there)."""
    plan = plan or read_plan()
    sources = Sources(plan["seed"], plan["parcels"], osm or default_osm_path())
    entries: dict[str, dict[str, Any]] = {}
    for spec in plan["files"]:
        layer = sources.context.layer(spec["layer"])
        frame = sources.get(spec["source"])
        planted: list[defects.Planted] = []
        if spec.get("defects"):
            frame, planted = defects.plant(frame, layer, spec["defects"])
        style = Style(**spec.get("style", {}))
        names = write_sample(frame, out_dir / spec["file"], layer, style)
        file_fields = dict(zip(names, [a.name for a in layer.attributes], strict=True))
        findings = [
            {"rule": f["rule"], "feature": None, "field": None, "defect": "file", "note": f["note"]}
            for f in spec.get("findings", [])
        ]
        entries[spec["file"]] = {
            "layer": layer.id,
            "features": len(frame),
            "encoding": style.encoding,
            **_crs_entry(style, layer.storage_crs),
            "fields": {k: v for k, v in file_fields.items() if k != v},
            "defects": findings + [p.as_dict() for p in planted],
        }
    manifest = {
        "about": "Generated by `python -m danang_sdi.samples build data_samples/` from "
        "danang_sdi/samples/plan.yml; synthetic data, see README.md. Do not edit by hand.",
        "seed": plan["seed"],
        "files": entries,
    }
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=110)
    (out_dir / MANIFEST).write_text(text, encoding="utf-8")
    return manifest
