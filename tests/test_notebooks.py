"""notebooks/ run from a clean kernel against the sample deployment (data_samples/ loaded, served by pygeoapi)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from danang_sdi.catalog import load_catalog
from danang_sdi.rasters.publish import coverage_resources
from danang_sdi.settings import PROJECT_DIR
from tests.conftest import SHARED_DATA
from tests.helpers.ogcapi_server import running_server
from tests.helpers.sample_deployment import DATABASE, deploy_samples, drop_samples

NOTEBOOKS = PROJECT_DIR / "notebooks"
CELL_TIMEOUT = 300

pytestmark = [pytest.mark.postgis, pytest.mark.slow]


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def deployment(db_settings, tmp_path_factory):
    """Environment for the kernels: the sample database, its home (rasters) and the API URL."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the notebooks need the real DEM and OSM extract in {SHARED_DATA}")
    catalog = load_catalog()
    workdir = tmp_path_factory.mktemp("deployment")
    settings = deploy_samples(db_settings, catalog, workdir / "sdi", SHARED_DATA)
    with running_server(
        db_settings,
        catalog,
        workdir,
        database=DATABASE,
        extra_resources=coverage_resources(settings, catalog),
    ) as url:
        yield {
            "DANANG_SDI_DATABASE_URL": settings.database_url,
            "DANANG_SDI_HOME": str(settings.home),
            "DANANG_SDI_API_URL": url,
        }
    drop_samples(settings)


def test_there_are_four_notebooks_with_outputs_cleared():
    paths = notebook_paths()
    assert [p.name[:3] for p in paths] == ["01_", "02_", "03_", "04_"]
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), (
            f"{path.name}: clear the outputs"
        )
        assert notebook.cells[0].cell_type == "markdown" and "*" in notebook.cells[0].source  # the story


# Each notebook ends with ``headline``, a Series of its key results; these must not be empty (zero).
HEADLINES_NOT_EMPTY = {
    "01_tour": [
        "parcels in the database",
        "parcels served by the API",
        "issues found in the defective delivery",
    ],
    "02_parcels_and_planning": [
        "parcels touching a planning lot",
        "parcels in two lots or more",
        "planning lots touching a parcel",
        "parcels losing land to street lots",
        "land taken for streets (m²)",
    ],
    "03_networks": [
        "water pipe (km)",
        "street lights",
        "black spots on the latest list",
        "black spots near a school",
    ],
    "04_flood_exposure": ["parcels with a ground elevation", "parcels below it"],
}
HEADLINE_CELL = "print(headline.to_json(force_ascii=False))"


def _headline(notebook) -> dict:
    """The JSON the appended ``HEADLINE_CELL`` printed."""
    outputs = notebook.cells[-1].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    return json.loads(text)


def _titled(source: str) -> bool:
    return "set_title(" in source and ("set_xlabel(" in source or "set_ylabel(" in source)


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_runs_from_a_clean_kernel(path, deployment, monkeypatch):
    for key, value in deployment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend turns figures into PNGs
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(HEADLINE_CELL))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    charts = [
        c
        for c in notebook.cells
        if c.cell_type == "code" and any("image/png" in o.get("data", {}) for o in c.outputs)
    ]
    assert charts, f"{path.name} draws no map or chart"
    untitled = [c.source.splitlines()[0] for c in charts if not _titled(c.source)]
    assert not untitled, f"charts without a title and axis units: {untitled}"
    headline = _headline(notebook)
    empty = [key for key in HEADLINES_NOT_EMPTY[path.stem] if not headline[key]]
    assert not empty, f"{path.name}: empty results {empty} in {headline}"
    if path.stem == "01_tour":  # every layer of the catalog has a sample delivery loaded
        assert headline["vector layers with a delivery loaded"] == headline["vector layers in the catalog"]
    if path.stem == "02_parcels_and_planning":  # the plan cuts across parcels: many fall in 2-3 lots
        assert headline["parcels in two lots or more"] >= headline["parcels touching a planning lot"] / 3
