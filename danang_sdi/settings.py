"""Settings from ``DANANG_SDI_*`` environment variables, built once by the caller (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def _default_layers_dir() -> Path:
    return PROJECT_DIR / "layers"


def _default_home() -> Path:
    return Path.cwd() / ".sdi"


@dataclass(frozen=True)
class Settings:
    """Where things are and which database to use.

    ``home`` holds the toolkit's state (the private cluster's record, built tiles); ``database_url``
    is None when the toolkit should manage its own private PostGIS cluster.
    """

    home: Path = field(default_factory=_default_home)
    layers_dir: Path = field(default_factory=_default_layers_dir)
    database_url: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        kwargs: dict = {}
        if env.get("DANANG_SDI_HOME"):
            kwargs["home"] = Path(env["DANANG_SDI_HOME"]).expanduser().resolve()
        if env.get("DANANG_SDI_LAYERS"):
            kwargs["layers_dir"] = Path(env["DANANG_SDI_LAYERS"]).expanduser().resolve()
        if env.get("DANANG_SDI_DATABASE_URL"):
            kwargs["database_url"] = env["DANANG_SDI_DATABASE_URL"]
        return cls(**kwargs)

    @property
    def manages_cluster(self) -> bool:
        return self.database_url is None
