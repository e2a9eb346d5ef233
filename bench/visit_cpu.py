"""Server CPU seconds per visitor, this working tree against a baseline commit, on the same machine at the same time.

One visitor at a time opens the Classify page in Chromium, uploads a 12 MP phone JPEG and waits for
its verdict; the streamlit process's CPU time (all its threads, TensorFlow's included) is read from
/proc before and after. Servers of the baseline (a `git worktree` of --baseline) and of this tree
take turns, --pairs times, each warmed by one visit first, so both see the same load from whatever
else the machine runs; the table gives each one's median and their ratio. Loopback only; bounded.
Run from the repository root:
    python -m bench.visit_cpu [--baseline 14b68a6] [--visits 4] [--pairs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.common import REPO, free_port, launch_chromium, phone_jpeg, stop_server
from bench.load import cpu_seconds, open_classify, start_server, upload_to_verdict
from catdog.config import SHARED_DATASET


async def cpu_per_visit(repo: Path, photo: Path, visits: int, scratch: Path) -> list[float]:
    """Server CPU seconds of each of `visits` warm visits to a fresh server of repo."""
    from playwright.async_api import async_playwright

    port = free_port()
    server = start_server(port, Path(tempfile.mkdtemp(dir=scratch)), scratch / f"server-{port}.log", repo)
    url = f"http://127.0.0.1:{port}"
    seconds = []
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            for visit in range(visits + 1):  # the first imports TensorFlow and loads the model: not counted
                context = await browser.new_context()
                before = cpu_seconds(server.pid, False)
                page, _ = await open_classify(context, url)
                await upload_to_verdict(page, photo)
                await context.close()
                if visit:
                    seconds.append(cpu_seconds(server.pid, False) - before)
            await browser.close()
    finally:
        stop_server(server)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", default="14b68a6", help="the commit to compare with (default: before the fix)")
    parser.add_argument("--visits", type=int, default=4, help="counted visits per server")
    parser.add_argument("--pairs", type=int, default=2, help="baseline and this tree, this many times each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="visit-cpu-") as temporary:
        scratch = Path(temporary)
        photo = scratch / "phone.jpg"
        photo.write_bytes(phone_jpeg(sorted((SHARED_DATASET / "test" / "dogs").glob("*.jpg"))[0]))
        baseline = scratch / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.baseline], cwd=REPO, check=True)
        results: dict[str, list[float]] = {args.baseline: [], "this tree": []}
        try:
            for _ in range(args.pairs):
                for name, repo in ((args.baseline, baseline), ("this tree", REPO)):
                    results[name] += asyncio.run(cpu_per_visit(repo, photo, args.visits, scratch))
                    print(f"{name}: {', '.join(f'{s:.2f}' for s in results[name])}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=REPO, check=False)
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, median in medians.items():
        print(f"{name:>12}: median {median:.2f} CPU s per visit over {len(results[name])} visits")
    print(f"this tree / {args.baseline}: {medians['this tree'] / medians[args.baseline]:.2f}")


if __name__ == "__main__":
    main()
