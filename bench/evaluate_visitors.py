"""Several visitors pressing Evaluate at the same moment: one computation for all, each served within one evaluation.

Starts `streamlit run app.py` on a free 127.0.0.1 port with the shared photos as its data folder; each visitor opens the
Evaluate page and waits until it says "Press Evaluate" (TensorFlow imported, the default model loaded). Then:
1. one visitor evaluates the default model on the 500 test photos: the time of one evaluation, from the click to the
   accuracy on screen;
2. a fresh server (nothing cached), warmed alike, and N visitors (default 4) who press Evaluate at the same moment.
Reports each visitor's seconds, how many evaluations the server's log says it computed ("evaluated N photos"), and its
peak memory (VmRSS, sampled every 0.2 s), beside the single visitor's. The target (issue #22): one computation, and
each visitor served within one evaluation + 5 s. Chromium runs on the same cores, so times are upper bounds.
Run from the repository root: python -m bench.evaluate_visitors [--visitors 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from bench.common import REPO, free_port, healthy, launch_chromium, stop_server
from catdog.config import SHARED_DATASET

TIMEOUT_MS = 600_000


@contextmanager
def server(log_path: Path):
    """(base URL, peak-memory sampler) of a fresh app server on the shared data."""
    port = free_port()
    env = {**os.environ, "CATDOG_DATA_DIR": str(SHARED_DATASET.parent), "CATDOG_MODELS_DIR": tempfile.mkdtemp()}
    env["CATDOG_LOG_LEVEL"] = "INFO"  # each evaluation computed is logged
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    sampler = PeakMemory(process.pid)
    try:
        url = f"http://127.0.0.1:{port}"
        while not healthy(url):
            time.sleep(0.5)
        sampler.start()
        yield url, sampler
    finally:
        sampler.stop()
        stop_server(process)


class PeakMemory(threading.Thread):
    """The highest VmRSS of one process, in MB, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            self.peak_mb = max(self.peak_mb, kb / 1024)

    def stop(self) -> None:
        self._done.set()


def open_evaluate(page, url: str) -> None:
    page.goto(f"{url}/evaluate?lang=en")
    page.get_by_text("Press Evaluate").wait_for(timeout=TIMEOUT_MS)


def evaluations_logged(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count("evaluated ")


def visitors_at_once(playwright, url: str, count: int) -> list[float]:
    """Each of `count` fresh sessions' seconds from pressing Evaluate, all at once, to its scores on screen."""
    browser = launch_chromium(playwright)
    pages = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in range(count)]
    for page in pages:
        open_evaluate(page, url)
    # Playwright's sync API is one thread per browser: the clicks go out together, then each page is waited on.
    clicked = time.perf_counter()
    for page in pages:
        page.get_by_role("button", name="Evaluate", exact=True).click(no_wait_after=True)
    times = []
    for page in pages:
        page.get_by_test_id("stMetric").filter(has_text="Accuracy").first.wait_for(timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - clicked)
    browser.close()
    return times


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=4)
    args = parser.parse_args()
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    print(f"{cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    logs = Path(tempfile.mkdtemp())
    with sync_playwright() as playwright:
        with server(logs / "one.log") as (url, memory):
            (alone,) = visitors_at_once(playwright, url, 1)
            one = (alone, evaluations_logged(logs / "one.log"), memory.peak_mb)
        with server(logs / "many.log") as (url, memory):
            together = visitors_at_once(playwright, url, args.visitors)
            many = (evaluations_logged(logs / "many.log"), memory.peak_mb)
    print(f"one visitor:  {one[0]:.1f} s, {one[1]} evaluation(s), peak {one[2]:.0f} MB")
    print(
        f"{args.visitors} at once: {', '.join(f'{s:.1f}' for s in together)} s "
        f"(median {statistics.median(together):.1f}, slowest {max(together):.1f}), "
        f"{many[0]} evaluation(s), peak {many[1]:.0f} MB"
    )
    verdict = "met" if many[0] == 1 and max(together) <= one[0] + 5 else "NOT met"
    print(f"target (one computation, each within {one[0]:.1f} + 5 s): {verdict}")


if __name__ == "__main__":
    main()
