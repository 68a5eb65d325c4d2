"""The planners' and analysts' real clients against the running server: GDAL (OAPIF), OWSLib and QGIS itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pyogrio
import pytest

pytestmark = pytest.mark.postgis

TABLE = "sdi_data.cadastral_parcel"
QGIS_PYTHON = Path("/usr/bin/python3")
QGIS_SCRIPT = Path(__file__).parent / "scripts" / "qgis_open_layer.py"


def _gdal_requests(ogc_server) -> list[str]:
    lines = [line for line in ogc_server.log_text().splitlines() if '"GET ' in line and "GDAL/" in line]
    return [urllib.parse.unquote(line.split('"GET ', 1)[1].split(" ", 1)[0]) for line in lines]


def test_gdal_reads_the_whole_layer(ogc_server):
    """GDAL's OAPIF driver pages through every parcel (following our next links) in the storage CRS."""
    frame = pyogrio.read_dataframe(f"OAPIF:{ogc_server.url}/collections/cadastral_parcel")
    assert len(frame) == ogc_server.count(f"SELECT count(*) FROM {TABLE}") == len(ogc_server.parcels)
    assert frame["fid"].is_unique
    assert frame.crs.to_epsg() == 5899  # GDAL asks for storageCrs to avoid a double transformation
    assert frame.total_bounds == pytest.approx(ogc_server.parcels.total_bounds, abs=0.01)
    info = pyogrio.read_info(f"OAPIF:{ogc_server.url}/collections/cadastral_parcel")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["so_to"] == "OFTInteger" and types["dien_tich"] == "OFTReal"
    assert types["ngay_cap_nhat"] == "OFTDate" and types["loai_dat"] == "OFTString"
    assert "ten_chu" not in types
    assert any("cursor=" in request for request in _gdal_requests(ogc_server))


def test_gdal_sends_an_attribute_where_to_the_server(ogc_server):
    before = len(_gdal_requests(ogc_server))
    frame = pyogrio.read_dataframe(
        f"OAPIF:{ogc_server.url}/collections/cadastral_parcel", where="dien_tich > 150", read_geometry=False
    )
    assert len(frame) == ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE dien_tich > 150") > 0
    sent = _gdal_requests(ogc_server)[before:]
    assert any("filter=dien_tich > 150" in request for request in sent), sent


def test_owslib_lists_collections_queryables_and_items(ogc_server):
    from owslib.ogcapi.features import Features

    api = Features(ogc_server.url)
    assert "cadastral_parcel" in api.feature_collections()
    queryables = api.collection_queryables("cadastral_parcel")["properties"]
    assert {"so_to", "loai_dat", "geometry"} <= set(queryables) and "ten_chu" not in queryables
    items = api.collection_items("cadastral_parcel", limit=5, filter="so_to = 7")
    assert items["numberReturned"] == 5
    assert items["numberMatched"] == ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE so_to = 7")
    assert {f["properties"]["so_to"] for f in items["features"]} == {7}


def test_qgis_opens_the_layer(ogc_server):
    """QGIS's OAPIF provider (Debian python3-qgis, headless): valid, every feature once, typed fields."""
    if not QGIS_PYTHON.exists() or shutil.which("dpkg") is None:
        pytest.skip("Debian's python3-qgis is not installed (apt-get install python3-qgis)")
    probe = subprocess.run([str(QGIS_PYTHON), "-c", "import qgis.core"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("Debian's python3-qgis is not installed (apt-get install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": "/tmp/runtime-root"}
    done = subprocess.run(
        [str(QGIS_PYTHON), str(QGIS_SCRIPT), ogc_server.url, "cadastral_parcel"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["valid"], report
    assert report["feature_count"] == report["iterated"] == report["distinct"] == len(ogc_server.parcels)
    assert report["geometry"] == "MultiPolygon"
    fields = report["fields"]
    assert (
        fields["so_to"] == "Integer" and fields["dien_tich"] == "Real" and fields["ngay_cap_nhat"] == "Date"
    )
    assert fields["loai_dat"] == "String" and "ten_chu" not in fields
    # QGIS 3.22 predates Part 2 in its provider and reads CRS84; later versions pick storageCrs (EPSG:5899).
    assert report["crs"] in ("EPSG:4326", "OGC:CRS84", "EPSG:5899"), report["crs"]
    x, y = report["first_vertex"]
    if report["crs"] == "EPSG:5899":
        assert 540_000 < x < 560_000 and 1_770_000 < y < 1_785_000
    else:
        assert 108.1 < x < 108.4 and 15.9 < y < 16.2  # longitude first: axes not swapped
