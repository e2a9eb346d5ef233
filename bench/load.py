"""Many visitors at once: time from upload to verdict, and the server's memory, for 1, 10 and 20 sessions.

Starts its own `streamlit run app.py` on a free 127.0.0.1 port (CATDOG_MODELS_DIR an empty temporary
folder, so only the bundled models are listed; CATDOG_DATA_DIR the shared photos' folder) and warms
it with one visit, which imports TensorFlow and loads the default model. Then, for each N, it opens
N fresh browser sessions at once (Playwright contexts in one headless Chromium), waits until each
shows the uploader, and has all N upload a 12 MP phone JPEG at the same moment, like a class told
"now try your photo". A session's time is from its upload to its verdict on screen. This repeats
for --rounds rounds, each with fresh sessions. A thread samples VmRSS of the server and its child
processes (/proc/PID/status) every 0.2 s. Each row also reports the server process's CPU seconds per
session, to open the page and from upload to verdict, and the browser's: on a shared machine, and
with the browser on it too, the server's CPU seconds per visitor say more than wall time.

--with-training: before the first row, one more session opens the Train page and presses
"▶ Start training" (from scratch, 60 epochs, all 2,000 training photos), as a teacher would. The run
trains in the server's own child process, so its memory counts in the server's total and its CPU
competes with the visitors'; it should outlast the rows (the table's training column says whether it
did) and ends with the server. That session then leaves, as the run lives on the server, not in a
tab. --watch-training keeps it on the page instead, whose live panel reruns every second on the
server (real work) and redraws two charts in Chromium (work a real server would not do, and on this
machine over a core of it).

Chromium runs on the same machine, so its CPU competes with the server's: on a 2-core machine the
times are an upper bound for visitors on their own computers. Only 127.0.0.1 is contacted; every
wait has a timeout and --max-minutes bounds the whole run, so it always ends by itself.
Run from the repository root:
    python -m bench.load [--sessions 1 10 20] [--rounds 3] [--with-training [--watch-training]]
On the busy 2-core development machine, --sessions 1 10 took 4 to 5 minutes (the 10-session row
3.5 to 4.5 of them), so the default 1 10 20 should take about 15; --with-training adds under a
minute for the run to decode its photos. Results: a table, and JSON in bench/results/load-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import REPO, free_port, healthy, launch_chromium, phone_jpeg, stop_server
from catdog.config import SHARED_DATASET

VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)")
TRAINING_EPOCHS = 60  # the slider's maximum: the run outlasts the measurement
SERVER_START_S = 60
PAGE_TIMEOUT_MS = 120_000  # a page with its uploader, or a verdict, on a loaded 2-core machine
TRAINING_START_MS = 600_000  # decoding 3,000 photos before the first batch
SAMPLE_S = 0.2


@dataclass
class Row:
    sessions: int
    rounds: int
    verdicts: int  # sessions that showed a verdict in time
    failures: int
    open_p50_s: float | None  # page opened to the uploader shown, all sessions opening at once
    open_p95_s: float | None
    verdict_p50_s: float | None  # upload to verdict, all sessions uploading at once
    verdict_p95_s: float | None
    verdict_max_s: float | None
    # CPU seconds per session: the streamlit process alone (all its threads, not a training run) while the
    # pages opened, and from the uploads to the verdicts; then Chromium's and Playwright's, on the same machine.
    server_cpu_open_s: float
    server_cpu_verdict_s: float
    client_cpu_s: float
    server_peak_mb: float  # the streamlit process alone, highest VmRSS sampled during the row
    tree_peak_mb: float  # the server and its children (a training run) together
    training_share: float  # fraction of samples with a training process alive
    load_average: float  # the machine's 1-minute load average when the row began
    seconds: float


class MemorySampler(threading.Thread):
    """VmRSS of a process and its descendants, sampled until stopped; shared pages count once per process."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="memory-sampler", daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float, float, bool]] = []  # (time, server MB, tree MB, training alive)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(SAMPLE_S):
            tree = [self.pid, *descendants(self.pid)]
            sizes = [status_mb(pid, "VmRSS") for pid in tree]
            training = any("spawn_main" in cmdline(pid) for pid in tree[1:])
            self.samples.append((time.monotonic(), sizes[0], sum(sizes), training))

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def between(self, start: float, end: float) -> tuple[float, float, float]:
        """(server peak MB, tree peak MB, share of samples with training) over a span of time."""
        span = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        return max(s[1] for s in span), max(s[2] for s in span), sum(s[3] for s in span) / len(span)


def descendants(pid: int) -> list[int]:
    """Every process below pid, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "(command name)", which may hold spaces
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def status_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB; 0 once it has ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int, children: bool) -> float:
    """User and system CPU time of a process; with children, also of its descendants, ended ones included."""
    total = 0.0
    for one in [pid, *descendants(pid)] if children else [pid]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, then cutime, cstime: the time of children it has reaped (closed tabs' renderers)
        ticks = fields[11:15] if children else fields[11:13]
        total += sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")
    return total


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def start_server(port: int, models_dir: Path, log_path: Path, repo: Path = REPO) -> subprocess.Popen:
    """`streamlit run app.py` of repo (this one, or another commit's worktree) in its own process group."""
    env = {
        **os.environ,
        "CATDOG_DATA_DIR": str(SHARED_DATASET.parent),
        "CATDOG_MODELS_DIR": str(models_dir),
        "CATDOG_TRAINING": "on",
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + SERVER_START_S
    while not healthy(f"http://127.0.0.1:{port}"):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"the server did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return server


async def open_classify(context, url: str) -> tuple[object, float]:
    """A new visitor on the Classify page; (page, seconds until the uploader was there and the run over)."""
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    started = time.perf_counter()
    await page.goto(url)
    await page.get_by_text("Upload a photo (or several) to start.").wait_for()
    await script_finished(page)
    return page, time.perf_counter() - started


async def script_finished(page) -> None:
    await page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.dataset.testScriptState === 'notRunning'; }"
    )


async def upload_to_verdict(page, photo: Path) -> float:
    """Seconds from handing the photo to the uploader to its verdict on screen; raises on an error shown."""
    started = time.perf_counter()
    await page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(photo))
    shown = page.get_by_text(VERDICT).or_(page.get_by_test_id("stException"))
    await shown.first.wait_for()
    seconds = time.perf_counter() - started
    if not await page.get_by_text(VERDICT).count():
        raise RuntimeError(f"no verdict: {(await shown.first.inner_text())[:200]}")
    return seconds


async def start_training(browser, url: str, watch: bool):
    """One more visitor starts a long run on the Train page; returns its context if it stays to watch."""
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    await page.goto(f"{url}/train")
    await page.get_by_role("heading", name="New run").wait_for()
    await script_finished(page)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Epochs")
    await slider.locator('input[type="range"], [role="slider"]').first.focus()
    await page.keyboard.press("End")
    await slider.get_by_test_id("stSliderThumbValue").filter(has_text=str(TRAINING_EPOCHS)).wait_for()
    await page.wait_for_timeout(300)  # let the slider's rerun reach the server
    await script_finished(page)
    await page.get_by_role("button", name="▶ Start training").click()
    started = time.perf_counter()
    batches = page.get_by_text(re.compile(rf"Epoch \d+/{TRAINING_EPOCHS} · batch"))
    failed = page.get_by_test_id("stMetricValue").filter(has_text=re.compile("^failed$"))
    await batches.or_(failed).first.wait_for(timeout=TRAINING_START_MS)
    if await failed.count():
        raise SystemExit("the training run failed to start: see the Train page")
    print(f"training: first batches after {time.perf_counter() - started:.0f} s of preparing")
    if watch:
        return context
    await context.close()
    return None


async def measure_row(browser, url: str, sessions: int, rounds: int, photos: list[Path], sampler) -> Row:
    opened, verdicts, failures = [], [], 0
    open_cpu = verdict_cpu = 0.0  # the server's CPU seconds while pages opened, and from uploads to verdicts
    load_average = os.getloadavg()[0]
    client_cpu = cpu_seconds(os.getpid(), True)
    started = time.monotonic()
    for _ in range(rounds):
        contexts = [await browser.new_context() for _ in range(sessions)]
        try:
            before = cpu_seconds(sampler.pid, False)
            pages = await asyncio.gather(*(open_classify(c, url) for c in contexts), return_exceptions=True)
            ready = [p for p in pages if not isinstance(p, BaseException)]
            failures += len(pages) - len(ready)
            opened += [seconds for _, seconds in ready]
            between = cpu_seconds(sampler.pid, False)
            times = await asyncio.gather(
                *(upload_to_verdict(page, photos[i % len(photos)]) for i, (page, _) in enumerate(ready)),
                return_exceptions=True,
            )
            after = cpu_seconds(sampler.pid, False)
            open_cpu, verdict_cpu = open_cpu + between - before, verdict_cpu + after - between
            for result in times:
                if isinstance(result, BaseException):
                    failures += 1
                    print(f"  a session failed: {type(result).__name__}: {str(result)[:200]}")
                else:
                    verdicts.append(result)
        finally:
            for context in contexts:
                await context.close()
    ended = time.monotonic()
    client_cpu = cpu_seconds(os.getpid(), True) - client_cpu
    server_peak, tree_peak, training = sampler.between(started, ended)
    visits = sessions * rounds
    return Row(
        sessions=sessions,
        rounds=rounds,
        verdicts=len(verdicts),
        failures=failures,
        open_p50_s=percentile(opened, 0.5),
        open_p95_s=percentile(opened, 0.95),
        verdict_p50_s=percentile(verdicts, 0.5),
        verdict_p95_s=percentile(verdicts, 0.95),
        verdict_max_s=max(verdicts, default=None),
        server_cpu_open_s=round(open_cpu / visits, 2),
        server_cpu_verdict_s=round(verdict_cpu / visits, 2),
        client_cpu_s=round(client_cpu / visits, 2),
        server_peak_mb=round(server_peak),
        tree_peak_mb=round(tree_peak),
        training_share=round(training, 2),
        load_average=round(load_average, 2),
        seconds=round(ended - started, 1),
    )


async def run(args, url: str, photos: list[Path], sampler: MemorySampler, results: dict) -> None:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + args.max_minutes * 60
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            warm = await browser.new_context()
            page, opened = await open_classify(warm, url)
            first = await upload_to_verdict(page, photos[0])
            await warm.close()
            results["first_visit"] = {"open_s": round(opened, 2), "verdict_s": round(first, 2)}
            results["server_warm_mb"] = round(status_mb(sampler.pid, "VmRSS"))
            print(
                f"first visit (imports TensorFlow, loads the model): page {opened:.1f} s, verdict {first:.1f} s; "
                f"server then {results['server_warm_mb']} MB"
            )
            trainer = await start_training(browser, url, args.watch_training) if args.with_training else None
            for sessions in args.sessions:
                if time.monotonic() > deadline:
                    print(f"--max-minutes {args.max_minutes} reached: {sessions} sessions and after skipped")
                    results["skipped"] = args.sessions[args.sessions.index(sessions) :]
                    break
                row = await measure_row(browser, url, sessions, args.rounds, photos, sampler)
                results["rows"].append(asdict(row))
                print(f"  {sessions} sessions: {row.verdicts} verdicts, {row.failures} failed, {row.seconds} s")
            if trainer is not None:
                await trainer.close()
        finally:
            await browser.close()


def print_table(results: dict) -> None:
    def s(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    training = "no training"
    if results["with_training"]:
        training = "a training run, watched" if results["watch_training"] else "a training run, not watched"
    print(f"\n{results['cpus']} CPUs, {training}, {results['rounds']} rounds per row")
    print("times in seconds; CPU in CPU seconds per session; memory in MB, the highest sampled")
    header = "sessions  verdicts  failed  open p50  open p95  verdict p50  verdict p95  verdict max"
    print(header + "  server CPU open  server CPU verdict  client CPU  server MB  with children MB  training  load avg")
    for r in results["rows"]:
        print(
            f"{r['sessions']:>8}  {r['verdicts']:>8}  {r['failures']:>6}  {s(r['open_p50_s']):>8}  "
            f"{s(r['open_p95_s']):>8}  {s(r['verdict_p50_s']):>11}  {s(r['verdict_p95_s']):>11}  "
            f"{s(r['verdict_max_s']):>11}  {r['server_cpu_open_s']:>15.2f}  {r['server_cpu_verdict_s']:>18.2f}  "
            f"{r['client_cpu_s']:>10.2f}  "
            f"{r['server_peak_mb']:>9.0f}  {r['tree_peak_mb']:>15.0f}  "
            f"{r['training_share']:>8.0%}  {r['load_average']:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 20], help="simultaneous visitors per row")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per row, each with fresh sessions")
    parser.add_argument("--with-training", action="store_true", help="a Train-page run trains meanwhile")
    parser.add_argument("--watch-training", action="store_true", help="and its Train page stays open")
    parser.add_argument("--max-minutes", type=float, default=30, help="rows not started by then are skipped")
    args = parser.parse_args()
    if min(args.sessions) < 1 or args.rounds < 1:
        parser.error("--sessions and --rounds must be at least 1")
    if args.watch_training and not args.with_training:
        parser.error("--watch-training needs --with-training")

    results = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "with_training": args.with_training,
        "watch_training": args.watch_training,
        "rounds": args.rounds,
        "photo": "12 MP phone JPEG (bench.common.phone_jpeg), 4 different photos",
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="catdog-load-") as folder:
        folder = Path(folder)
        # Two cats and two dogs, 12 MP each, stored sideways with an EXIF orientation, as phones save them.
        sources = [SHARED_DATASET / "test" / name for name in ("cats/cat.4501.jpg", "dogs/dog.4501.jpg")]
        sources += [SHARED_DATASET / "test" / name for name in ("cats/cat.4502.jpg", "dogs/dog.4502.jpg")]
        photos = []
        for i, source in enumerate(sources):
            photos.append(folder / f"IMG_{i:04d}.jpg")
            photos[-1].write_bytes(phone_jpeg(source))
        models_dir = folder / "models"
        models_dir.mkdir()
        log_path = folder / "streamlit.log"
        port = free_port()
        started = time.monotonic()
        server = start_server(port, models_dir, log_path)
        print(f"server up in {time.monotonic() - started:.1f} s on port {port}")
        sampler = MemorySampler(server.pid)
        sampler.start()
        try:
            asyncio.run(run(args, f"http://127.0.0.1:{port}", photos, sampler, results))
        finally:
            try:
                sampler.stop()
                results["server_peak_hwm_mb"] = round(status_mb(server.pid, "VmHWM"))
                results["tree_peak_mb"] = round(max((s[2] for s in sampler.samples), default=0))
            finally:
                stop_server(server)
        if server.returncode not in (0, -signal.SIGTERM):
            print(f"server log (exit {server.returncode}):\n{log_path.read_text()[-2000:]}")
    results["seconds"] = round(time.monotonic() - started, 1)
    print_table(results)
    out = REPO / "bench" / "results" / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nserver peak (VmHWM) {results['server_peak_hwm_mb']} MB; with children {results['tree_peak_mb']} MB")
    print(f"{results['seconds']:.0f} s in all; saved {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
