"""A small layer defined in the test (not in layers/) and deliveries for it, to exercise the write path alone."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.catalog.models import Layer
from danang_sdi.store.loader import LoadInput, SourceInfo

TEST_LAYER = {
    "id": "test_lamp",
    "name": {"vi": "Đèn thử", "en": "Test lamp"},
    "description": {"vi": "Lớp thử của bộ kiểm thử", "en": "A layer the tests define"},
    "group": "chieu_sang",
    "owner": "SXD",
    "geometry": "Point",
    "update_frequency": "on_change",
    "natural_key": ["ma_cot"],
    "attributes": [
        {"name": "ma_cot", "title": {"vi": "Mã cột", "en": "Pole id"}, "type": "text", "required": True},
        {"name": "cong_suat_w", "title": {"vi": "Công suất", "en": "Power"}, "type": "integer"},
        {"name": "ghi_chu", "title": {"vi": "Ghi chú", "en": "Note"}, "type": "text"},
        {"name": "chu_so_huu", "title": {"vi": "Chủ", "en": "Owner"}, "type": "text", "access": "restricted"},
    ],
}


def make_layer(layer_id: str = "test_lamp") -> Layer:
    return Layer.model_validate({**TEST_LAYER, "id": layer_id})


def lamps(n: int, start: int = 0, power: int = 100, note: str = "đèn LED") -> gpd.GeoDataFrame:
    i = np.arange(start, start + n)
    return gpd.GeoDataFrame(
        {
            "ma_cot": [f"HC-{k:06d}" for k in i],
            "cong_suat_w": np.full(n, power),
            "ghi_chu": [note] * n,
            "chu_so_huu": ["Nguyễn Văn A"] * n,
        },
        geometry=shapely.points(550000 + i % 1000, 1777000 + i // 1000),
        crs="EPSG:5899",
    )


def delivery(
    layer: Layer, frame: gpd.GeoDataFrame, name: str = "lamps.geojson", rejected: dict | None = None
) -> LoadInput:
    content = pd.util.hash_pandas_object(frame.to_wkb(), index=False).to_numpy().tobytes()
    digest = hashlib.sha256(content + name.encode()).hexdigest()
    original = pd.DataFrame(frame.drop(columns="geometry")).rename(columns=str.upper)
    return LoadInput(
        layer=layer,
        frame=frame,
        original=original,
        rejected=rejected or {},
        source=SourceInfo(file_name=name, sha256=digest, driver="GeoJSON", encoding="utf-8", crs="EPSG:5899"),
        report={"valid": not rejected},
    )
