"""Open an OGC API Features layer with QGIS's own OAPIF provider and print what QGIS sees, as JSON.

Run with Debian's /usr/bin/python3 (python3-qgis), headless: QT_QPA_PLATFORM=offscreen.
Usage: qgis_open_layer.py LANDING_URL COLLECTION_ID
"""

import json
import sys

from qgis.core import Qgis, QgsApplication, QgsVectorLayer, QgsWkbTypes


def describe(url: str, collection: str) -> dict:
    layer = QgsVectorLayer(f"url='{url}' typename='{collection}' pagingEnabled='true'", collection, "OAPIF")
    report = {
        "qgis": Qgis.QGIS_VERSION,
        "valid": layer.isValid(),
        "crs": layer.crs().authid(),
        "geometry": QgsWkbTypes.displayString(layer.wkbType()),
        "fields": {field.name(): field.typeName() for field in layer.fields()},
    }
    if layer.isValid():
        report["feature_count"] = layer.featureCount()
        ids, vertex = [], None
        for feature in layer.getFeatures():
            ids.append(feature["fid"])
            if vertex is None:
                point = feature.geometry().vertexAt(0)
                vertex = [point.x(), point.y()]
        report["iterated"] = len(ids)
        report["distinct"] = len(set(ids))
        report["first_vertex"] = vertex
    del layer  # before exitQgis: a layer outliving the application crashes QGIS 3.22
    return report


QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
result = describe(sys.argv[1], sys.argv[2])
app.exitQgis()
print(json.dumps(result, ensure_ascii=False))
