"""The app's speed: a 12 MP phone photo through a warm server, and a cold start to the first result.

Warm: the Classify page runs in-process (Streamlit's AppTest) with the model already loaded;
each upload is a new file, so each is decoded and classified, then the page is drawn.
Cold: `streamlit run app.py` on a free port, then headless Chromium opens the page, uploads the
photo and waits for the verdict. Needs Debian's Chromium at /usr/bin/chromium.
Run from the repository root: python -m bench.app_speed [--repeats 10]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench.common import REPO, launch_chromium, phone_jpeg
from catdog.config import SHARED_DATASET

VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure")


def warm_server(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    photos = [phone_jpeg(p) for p in sorted((SHARED_DATASET / "test" / "dogs").glob("*.jpg"))[: repeats + 1]]
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    times = []
    for i, photo in enumerate(photos):
        app.file_uploader(key="uploads").set_value((f"phone-{i}.jpg", photo, "image/jpeg"))
        started = time.perf_counter()
        app.run()
        if i:  # the first upload also loads the model
            times.append(time.perf_counter() - started)
        assert app.success or app.warning, "no verdict shown"
    print(
        f"warm server, one 12 MP upload to a drawn result: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} uploads"
    )


def cold_start() -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo:
        photo.write(phone_jpeg(SHARED_DATASET / "test" / "dogs" / "dog.4501.jpg"))
        photo.flush()
        started = time.perf_counter()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.1)
            healthy = time.perf_counter()
            with sync_playwright() as p:
                browser = launch_chromium(p)
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector('input[type="file"]', state="attached", timeout=120_000)
                shown = time.perf_counter()
                page.set_input_files('input[type="file"]', photo.name)
                page.get_by_text(VERDICT).first.wait_for(timeout=120_000)
                done = time.perf_counter()
                page.set_input_files('input[type="file"]', [])
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(
        f"cold start to first result: {done - started:.1f} s = server up {healthy - started:.1f} s"
        f" + page with uploader {shown - healthy:.1f} s + upload, TensorFlow import, model load and"
        f" classification {done - shown:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    cold_start()
    warm_server(args.repeats)


if __name__ == "__main__":
    main()
