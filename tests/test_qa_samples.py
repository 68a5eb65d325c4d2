"""The acceptance test on ``data_samples/``: each planted defect is found on its feature, clean samples are clean."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from danang_sdi.catalog import load_catalog
from danang_sdi.qa.validate import validate_file
from danang_sdi.settings import PROJECT_DIR

SAMPLES = PROJECT_DIR / "data_samples"
MANIFEST = SAMPLES / "manifest.yml"
FILES = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["files"] if MANIFEST.is_file() else {}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.skipif(not FILES, reason=f"no sample manifest at {MANIFEST}")
@pytest.mark.parametrize("name", sorted(FILES))
def test_sample_reports_exactly_its_planted_defects(name: str, catalog) -> None:
    spec = FILES[name]
    report = validate_file(SAMPLES / name, spec["layer"], catalog)
    found = {(i.rule, i.feature) for i in report.issues}
    planted = {(d["rule"], d["feature"]) for d in spec["defects"]}
    assert found == planted
    assert report.source["crs"] == spec["crs"] or not spec["crs_detectable"] or spec["crs"] == "OGC:CRS84"
    encoding = report.source["encoding"].lower()
    assert encoding == spec["encoding"] or (encoding == "ascii" and spec["encoding"] == "utf-8")


@pytest.mark.skipif("parcels_noprj.shp" not in FILES, reason="no no-.prj sample")
def test_the_no_prj_sample_is_detected_as_5899(catalog) -> None:
    report = validate_file(Path(SAMPLES / "parcels_noprj.shp"), "cadastral_parcel", catalog)
    assert report.source["crs"] == "EPSG:5899"
    assert "no CRS declared" in report.source["crs_reason"]
