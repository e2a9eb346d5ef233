"""Models and training runs on disk: NAME.keras beside NAME.json (options, history, scores)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from catdog.config import BUNDLED_MODEL


def metadata_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def read_metadata(model_path: str | Path) -> dict:
    """The metadata saved beside a model, or {} when there is none (or it is unreadable)."""
    try:
        return json.loads(metadata_path(model_path).read_text())
    except (OSError, ValueError):
        return {}


def write_json_atomically(data: dict, path: str | Path) -> None:
    """Write to a temporary file and rename it: a reader never sees half a file."""
    path = Path(path)
    text = json.dumps(data, indent=2)  # fails here, before anything is written, if data is not JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".saving-", suffix=".json", delete=False) as f:
        scratch = Path(f.name)
        try:
            f.write(text)
        except OSError:
            scratch.unlink(missing_ok=True)
            raise
    scratch.chmod(0o644)  # temporary files are private; a saved run is not
    os.replace(scratch, path)


def list_models(models_dir: str | Path) -> list[Path]:
    """Every saved model in models_dir, the bundled one first, then the newest first."""
    models_dir = Path(models_dir)
    found = (
        sorted(models_dir.glob("*.keras"), key=lambda p: p.stat().st_mtime, reverse=True) if models_dir.is_dir() else []
    )
    bundled = [BUNDLED_MODEL] if BUNDLED_MODEL.is_file() else []
    return bundled + [p for p in found if p.resolve() != BUNDLED_MODEL.resolve()]


def list_runs(models_dir: str | Path) -> list[dict]:
    """Metadata of every run recorded in models_dir (finished or not), newest first."""
    models_dir = Path(models_dir)
    runs = [read_metadata(p) for p in models_dir.glob("*.json")] if models_dir.is_dir() else []
    return sorted((r for r in runs if r.get("history") is not None), key=lambda r: r.get("created", ""), reverse=True)
