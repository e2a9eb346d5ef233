"""Helpers shared by the benchmark scripts: a made-up phone photo, timing, and Chromium (for the browser tests too)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's: apt-get install chromium
CHROMIUM_ARGS = [
    "--no-sandbox",  # its sandbox cannot start as root in a container
    "--disable-gpu",
    # Contact nothing but the app on 127.0.0.1, and do no first-run work that would skew timings.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",  # a container's small /dev/shm crashes tabs
]


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


def launch_chromium(playwright):
    """Headless Debian Chromium, launched the same way for the browser tests and the benchmarks."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server started by a test or a benchmark."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the Streamlit server at url answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server, then whatever it started (a training run) in its process group."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # the group is the server's own (start_new_session)
        os.killpg(server.pid, signal.SIGKILL)
