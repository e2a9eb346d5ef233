"""Helpers shared by the benchmark scripts: the shared data folder and a made-up phone photo."""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "cats_vs_dogs_small"


def phone_jpeg(source: Path, size=(4032, 3024), orientation: int = 6) -> bytes:
    """A 12-megapixel JPEG made from a shared photo, stored sideways with an EXIF orientation tag."""
    image = Image.open(source).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def timed(function, repeats: int) -> list[float]:
    """Seconds per call, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000
