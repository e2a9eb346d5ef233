"""A class opening the demo link at once: N visitors on the Classify page, then N photos at the same moment.

For each N in --sessions, N fresh browser contexts in one headless Chromium open the Classify page
together, wait for the uploader, then all upload a 12 MP phone JPEG at the same moment, like a class
told "now try your photo"; each visitor sends a different photo of the shared test split, cats and
dogs taking turns, and its verdict is checked against the photo's own class (a mix-up between
visitors would show up as many wrong ones). Every figure stands beside a floor measured in the same
run: bench/bare_app.py, an uploader, the photo and a fixed "Dog — 50% sure", no model, started with
the same Streamlit options (the same command line, environment and folder, so the same
.streamlit/config.toml). Both servers run throughout and take turns, burst by burst; only the one
measured has visitors. Before the rows each is started fresh, and a first visitor is timed from the
server's start to its page drawn and to its first verdict.

Per app and N: verdicts received and how many name their photo's class, sessions failed, HTTP
responses of 400 and above (and failed requests), p50 and p95 seconds to the page drawn (the
uploader shown, its script run over) and from upload to verdict, the server's CPU seconds per
visitor to open the page and from upload to verdict (its streamlit processes, from /proc; not a
training run, nginx or the browser, which have their own columns), and its peak memory (VmRSS of
its processes, sampled every 0.2 s).

--proxy puts each app behind nginx (bench/proxy.py: Streamlit's static files from nginx, --replicas
app servers per app); each row then also says how many sessions each replica served, by the
catdog_replica cookie nginx sets, and how many verdicts came back from each. --repo runs catdog from
another commit's worktree, to measure "before" (the floor still comes from this tree, started in that
folder). --with-training: a run started from the Train page trains in catdog's server meanwhile
(--watch-training keeps its page open, whose panel reruns every second).

Chromium runs on the same machine, so its CPU competes with the servers': on a 2-core machine the
times are an upper bound for visitors on their own phones, and the server's CPU seconds per visitor,
beside the floor's, are what sizes a server. Only 127.0.0.1 is contacted; every wait has a timeout
and --max-minutes bounds the whole run, so it always ends by itself. Run from the repository root:
    python -m bench.load [--sessions 1 10 20 30] [--rounds 1] [--repo /tmp/catdog-before]
                         [--proxy [--replicas 2]] [--with-training [--watch-training]]
On the 2-core development machine, shared with other work (load average up to 40), --sessions 1 10 20 30
--rounds 1 took 5 to 7.5 minutes, and --sessions 1 10 --proxy about one.
Results: tables, and JSON in bench/results/load-*.json.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import REPO, free_port, healthy, launch_chromium, phone_jpeg, stop_server
from catdog.config import CLASS_FOLDERS, CLASS_NAMES, SHARED_DATASET

VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)")
START_TEXT = "Upload a photo (or several) to start."  # the Classify page's, and the floor's, before an upload
BARE_APP = Path(__file__).with_name("bare_app.py")
FLOOR = "floor"  # the bare app's name in the results
REPLICA_COOKIE = "catdog_replica"  # set by bench/proxy.py's nginx: which replica a browser sticks to
TRAINING_EPOCHS = 60  # the slider's maximum: the run outlasts the measurement
SERVER_START_S = 120
PAGE_TIMEOUT_MS = 300_000  # a page with its uploader, or a verdict, for 30 visitors on a loaded 2-core machine
TRAINING_START_MS = 600_000  # decoding 3,000 photos before the first batch
SAMPLE_S = 0.2
ERRORS_KEPT = 10  # per row, in the JSON: the first failures and HTTP errors, as text


@dataclass
class Row:
    app: str  # "catdog" or "floor"
    sessions: int
    rounds: int
    verdicts: int  # sessions that showed a verdict in time
    right: int | None  # verdicts naming their photo's class; None for the floor, whose line never changes
    failures: int
    http_errors: int  # responses of 400 and above, and requests that failed, seen by the sessions' pages
    open_p50_s: float | None  # page opened to the uploader shown, all sessions opening at once
    open_p95_s: float | None
    verdict_p50_s: float | None  # upload to verdict, all sessions uploading at once
    verdict_p95_s: float | None
    verdict_max_s: float | None
    # CPU seconds per session: the app's streamlit processes (all their threads, not a training run) while
    # the pages opened, and from the uploads to the verdicts; nginx's for both (None without --proxy); then
    # Chromium's, Playwright's and this script's, on the same machine.
    server_cpu_open_s: float
    server_cpu_verdict_s: float
    proxy_cpu_s: float | None
    browser_cpu_s: float
    server_peak_mb: float  # the app's streamlit processes together, the highest VmRSS sampled in its bursts
    tree_peak_mb: float  # with their children (a training run)
    training_share: float  # fraction of samples with a training process alive
    load_average: float  # the machine's 1-minute load average when the row's first burst began
    seconds: float  # the app's bursts, added up
    replicas: dict[str, list[int]]  # catdog_replica cookie value ("-" if none): [sessions, verdicts]
    errors: list[str]  # the first few failed sessions, HTTP errors and verdicts of another class


@dataclass
class Tally:
    """What one app's bursts of one row add up to."""

    opened: list[float] = field(default_factory=list)
    verdicts: list[float] = field(default_factory=list)
    right: int = 0
    failures: int = 0
    http_errors: int = 0
    errors: list[str] = field(default_factory=list)
    open_cpu: float = 0.0
    verdict_cpu: float = 0.0
    proxy_cpu: float = 0.0
    browser_cpu: float = 0.0
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each burst, monotonic
    replicas: dict[str, list[int]] = field(default_factory=dict)
    load_average: float | None = None


class MemorySampler(threading.Thread):
    """VmRSS of some processes and their descendants, sampled until stopped; shared pages count once per process."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(name="memory-sampler", daemon=True)
        self.pids = pids
        self.samples: list[tuple[float, float, float, bool]] = []  # (time, servers MB, with children MB, training)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(SAMPLE_S):
            parents = parents_map()
            children = [child for pid in self.pids for child in descendants(pid, parents)]
            servers = sum(status_mb(pid, "VmRSS") for pid in self.pids)
            tree = servers + sum(status_mb(pid, "VmRSS") for pid in children)
            training = any("spawn_main" in cmdline(pid) for pid in children)
            self.samples.append((time.monotonic(), servers, tree, training))

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def peak(self, spans: list[tuple[float, float]]) -> tuple[float, float, float]:
        """(servers' peak MB, with children MB, share of samples with training) over some spans of time."""
        inside = [s for s in self.samples if any(start <= s[0] <= end for start, end in spans)] or self.samples[-1:]
        if not inside:
            return 0.0, 0.0, 0.0
        return max(s[1] for s in inside), max(s[2] for s in inside), sum(s[3] for s in inside) / len(inside)


@dataclass
class Served:
    """One app as its visitors reach it: its servers (replicas), the nginx in front of them if any, its URL."""

    name: str  # "catdog" or "floor"
    servers: list[subprocess.Popen]
    url: str
    proxy: subprocess.Popen | None = None
    sampler: MemorySampler | None = None

    def server_cpu(self) -> float:
        return sum(cpu_seconds(server.pid, False) for server in self.servers)

    def proxy_cpu(self) -> float:
        return cpu_seconds(self.proxy.pid, True) if self.proxy else 0.0

    def roots(self) -> list[int]:
        return [server.pid for server in self.servers] + ([self.proxy.pid] if self.proxy else [])

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        try:
            if self.proxy is not None:
                from bench.proxy import stop_proxy

                stop_proxy(self.proxy)
        finally:
            for server in self.servers:
                stop_server(server)


def parents_map() -> dict[int, list[int]]:
    """Each process's children, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "(command name)", which may hold spaces
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return parents


def descendants(pid: int, parents: dict[int, list[int]] | None = None) -> list[int]:
    """Every process below pid."""
    parents = parents_map() if parents is None else parents
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


def process_cpu(pid: int, reaped: bool) -> float:
    """User and system CPU time of one process; with reaped, also of the children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = fields[11:15] if reaped else fields[11:13]  # utime, stime, then cutime, cstime
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool) -> float:
    """CPU time of a process; with children, also of its descendants, ended ones included."""
    return sum(process_cpu(one, children) for one in ([pid, *descendants(pid)] if children else [pid]))


def browser_cpu(apps: list[Served]) -> float:
    """CPU seconds of everything this script started but the servers and proxies: Playwright, Chromium, itself."""
    parents = parents_map()
    servers = {pid for app in apps for root in app.roots() for pid in [root, *descendants(root, parents)]}
    ours = [os.getpid(), *descendants(os.getpid(), parents)]
    return sum(process_cpu(pid, True) for pid in ours if pid not in servers)


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


def launch_server(
    port: int, models_dir: Path, log_path: Path, repo: Path = REPO, script: Path | str = "app.py"
) -> subprocess.Popen:
    """`streamlit run script` in repo's folder (its .streamlit/config.toml), in its own process group; no waiting."""
    env = {
        **os.environ,
        "CATDOG_DATA_DIR": str(SHARED_DATASET.parent),
        "CATDOG_MODELS_DIR": str(models_dir),
        "CATDOG_TRAINING": "on",
    }
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_healthy(server: subprocess.Popen, port: int, log_path: Path) -> None:
    """Until the server answers its health check; stopped and reported if it ends or takes too long."""
    deadline = time.monotonic() + SERVER_START_S
    while not healthy(f"http://127.0.0.1:{port}"):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"the server did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


def start_server(port: int, models_dir: Path, log_path: Path, repo: Path = REPO) -> subprocess.Popen:
    """`streamlit run app.py` of repo (this one, or another commit's worktree), answering once this returns."""
    server = launch_server(port, models_dir, log_path, repo)
    wait_healthy(server, port, log_path)
    return server


async def open_classify(context, url: str) -> tuple[object, float]:
    """A new visitor on the Classify page; (page, seconds until the uploader was there and the run over)."""
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    started = time.perf_counter()
    await page.goto(url)
    await page.get_by_text(START_TEXT).wait_for()
    await script_finished(page)
    return page, time.perf_counter() - started


async def script_finished(page) -> None:
    await page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.dataset.testScriptState === 'notRunning'; }"
    )


async def upload_to_verdict(page, photo: Path) -> float:
    """Seconds from handing the photo to the uploader to its verdict on screen; raises on an error shown.

    An upload the server refused shows as a file chip marked invalid, with no rerun to wait for.
    """
    started = time.perf_counter()
    await page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(photo))
    refused = page.locator('[data-testid="stFileChip"][aria-invalid="true"]')
    shown = page.get_by_text(VERDICT).or_(page.get_by_test_id("stException")).or_(refused)
    await shown.first.wait_for()
    seconds = time.perf_counter() - started
    if not await page.get_by_text(VERDICT).count():
        raise RuntimeError(f"no verdict: {(await shown.first.inner_text())[:200]}")
    return seconds


async def verdict_of(page, photo: Path) -> tuple[float, str]:
    """(seconds from upload to verdict, the class it names: "cat", "dog" or "unsure"), once the page's run is over.

    Waiting for the run to end keeps the rest of its drawing in the upload's CPU seconds, not the next phase's.
    """
    seconds = await upload_to_verdict(page, photo)
    said = VERDICT.search(await page.get_by_text(VERDICT).first.inner_text())
    await script_finished(page)
    return seconds, said.group(1).lower() if said and said.group(1) else "unsure"


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


async def start_app(
    browser, name: str, script: Path | str, args, folder: Path, first_photo: Path, running: list[Served]
) -> dict:
    """Start an app from nothing (its servers, and nginx with --proxy) and time one visitor's page and first verdict.

    With replicas, each then gets a visit of its own, so that no row pays for a replica's first one.
    """
    ports: set[int] = set()
    while len(ports) < args.replicas:
        ports.add(free_port())
    logs = [folder / f"{name}-{port}.log" for port in ports]
    started = time.monotonic()
    servers = [launch_server(port, folder / "models", log, args.repo, script) for port, log in zip(ports, logs)]
    app = Served(name, servers, f"http://127.0.0.1:{min(ports)}")
    running.append(app)  # stopped by the caller, whatever happens from here on
    app.sampler = MemorySampler([server.pid for server in servers])
    app.sampler.start()
    if args.proxy:
        from bench.proxy import start_proxy

        scratch = folder / f"proxy-{name}"
        scratch.mkdir()
        app.proxy, proxy_port = start_proxy(sorted(ports), scratch)
        app.url = f"http://127.0.0.1:{proxy_port}"
    for server, port, log in zip(servers, ports, logs):
        await asyncio.to_thread(wait_healthy, server, port, log)
    context = await browser.new_context()
    page, _ = await open_classify(context, app.url)
    drawn = time.monotonic() - started
    _, said = await verdict_of(page, first_photo)
    verdict = time.monotonic() - started
    await context.close()
    print(f"{name}: fresh server, page drawn after {drawn:.1f} s, first verdict ({said}) after {verdict:.1f} s")
    if args.proxy and len(ports) > 1:  # the proxy sent that visitor to one replica: a visit to each, past nginx
        for port in sorted(ports):
            context = await browser.new_context()
            page, _ = await open_classify(context, f"http://127.0.0.1:{port}")
            await verdict_of(page, first_photo)
            await context.close()
    return {"page_drawn_s": round(drawn, 2), "first_verdict_s": round(verdict, 2)}


async def burst(browser, app: Served, apps: list[Served], photos: list[tuple[Path, str]], tally: Tally) -> None:
    """len(photos) visitors open the app at once, then all upload, each its own photo, at once."""
    if tally.load_average is None:
        tally.load_average = os.getloadavg()[0]
    http_errors: list[str] = []

    def on_response(response) -> None:
        if response.status >= 400:
            http_errors.append(f"HTTP {response.status} {response.request.method} {urlsplit(response.url).path}")

    def on_failed(request) -> None:
        http_errors.append(f"failed {request.method} {urlsplit(request.url).path}: {request.failure}")

    started = time.monotonic()
    browser0 = browser_cpu(apps)
    contexts = [await browser.new_context() for _ in photos]
    for context in contexts:
        context.on("response", on_response)
        context.on("requestfailed", on_failed)
    try:
        server0, proxy0 = app.server_cpu(), app.proxy_cpu()
        pages = await asyncio.gather(*(open_classify(c, app.url) for c in contexts), return_exceptions=True)
        server1 = app.server_cpu()
        visitors = []  # (page, photo, label, replica) of each visitor whose page opened
        for context, opened, (photo, label) in zip(contexts, pages, photos):
            if isinstance(opened, BaseException):
                tally.failures += 1
                tally.errors.append(f"page: {type(opened).__name__}: {str(opened)[:200]}")
                continue
            tally.opened.append(opened[1])
            cookie = [c["value"] for c in await context.cookies() if c["name"] == REPLICA_COOKIE]
            visitors.append((opened[0], photo, label, cookie[0] if cookie else "-"))
        verdicts = await asyncio.gather(
            *(verdict_of(page, photo) for page, photo, _, _ in visitors), return_exceptions=True
        )
        server2, proxy2 = app.server_cpu(), app.proxy_cpu()
        errors_seen = len(http_errors)  # before closing, which cuts requests short
    finally:
        for context in contexts:
            await context.close()
    for (_, photo, label, replica), result in zip(visitors, verdicts):
        counts = tally.replicas.setdefault(replica, [0, 0])
        counts[0] += 1
        if isinstance(result, BaseException):
            tally.failures += 1
            tally.errors.append(f"verdict: {type(result).__name__}: {str(result)[:200]}")
            continue
        counts[1] += 1
        tally.verdicts.append(result[0])
        tally.right += result[1] == label
        if result[1] != label and app.name != FLOOR:  # the floor's line is the same for every photo
            tally.errors.append(f"verdict: {photo.name}, a {label}, said {result[1]}")
    tally.http_errors += errors_seen
    tally.errors += http_errors[:errors_seen]
    tally.open_cpu += server1 - server0
    tally.verdict_cpu += server2 - server1
    tally.proxy_cpu += proxy2 - proxy0
    tally.browser_cpu += browser_cpu(apps) - browser0
    tally.spans.append((started, time.monotonic()))


def row_of(app: Served, sessions: int, rounds: int, tally: Tally, proxy: bool) -> Row:
    visits = sessions * rounds
    server_peak, tree_peak, training = app.sampler.peak(tally.spans)
    return Row(
        app=app.name,
        sessions=sessions,
        rounds=rounds,
        verdicts=len(tally.verdicts),
        right=tally.right if app.name != FLOOR else None,
        failures=tally.failures,
        http_errors=tally.http_errors,
        open_p50_s=percentile(tally.opened, 0.5),
        open_p95_s=percentile(tally.opened, 0.95),
        verdict_p50_s=percentile(tally.verdicts, 0.5),
        verdict_p95_s=percentile(tally.verdicts, 0.95),
        verdict_max_s=max(tally.verdicts, default=None),
        server_cpu_open_s=round(tally.open_cpu / visits, 2),
        server_cpu_verdict_s=round(tally.verdict_cpu / visits, 2),
        proxy_cpu_s=round(tally.proxy_cpu / visits, 2) if proxy else None,
        browser_cpu_s=round(tally.browser_cpu / visits, 2),
        server_peak_mb=round(server_peak),
        tree_peak_mb=round(tree_peak),
        training_share=round(training, 2),
        load_average=round(tally.load_average, 2),
        seconds=round(sum(end - start for start, end in tally.spans), 1),
        replicas=tally.replicas,
        errors=tally.errors[:ERRORS_KEPT],
    )


async def run(args, photos: list[tuple[Path, str]], folder: Path, results: dict) -> None:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + args.max_minutes * 60
    running: list[Served] = []
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            # One after the other, catdog's first visit (which imports TensorFlow and loads the model) over first.
            for name, script in (("catdog", "app.py"), (FLOOR, BARE_APP)):
                fresh = await start_app(browser, name, script, args, folder, photos[0][0], running)
                results["fresh_server"][name] = fresh
            catdog = running[0]
            results["server_warm_mb"] = round(sum(status_mb(s.pid, "VmRSS") for s in catdog.servers))
            trainer = await start_training(browser, catdog.url, args.watch_training) if args.with_training else None
            for index, sessions in enumerate(args.sessions):
                if time.monotonic() > deadline:
                    print(f"--max-minutes {args.max_minutes} reached: {sessions} sessions and after skipped")
                    results["skipped"] = args.sessions[index:]
                    break
                tallies = {app.name: Tally() for app in running}
                for round_ in range(args.rounds):  # catdog and the floor take turns at going first
                    for app in running if (index + round_) % 2 == 0 else running[::-1]:
                        await burst(browser, app, running, photos[:sessions], tallies[app.name])
                for app in running:
                    row = row_of(app, sessions, args.rounds, tallies[app.name], args.proxy)
                    results["rows"].append(asdict(row))
                    print(
                        f"  {sessions} sessions on {app.name}: {row.verdicts} verdicts, {row.failures} failed, "
                        f"{row.http_errors} HTTP errors, {row.seconds} s"
                    )
            if trainer is not None:
                await trainer.close()
        finally:
            await browser.close()
            for app in running:
                results["server_peak_hwm_mb"][app.name] = round(sum(status_mb(s.pid, "VmHWM") for s in app.servers))
                app.stop()
                for server in app.servers:
                    if server.returncode not in (0, -signal.SIGTERM):
                        print(f"{app.name} server exited {server.returncode}: see its log in {folder}")


def print_table(results: dict) -> None:
    def s(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    training = "no training"
    if results["with_training"]:
        training = "a training run, watched" if results["watch_training"] else "a training run, not watched"
    proxy = f"behind nginx, {results['replicas']} replica(s) per app" if results["proxy"] else "no proxy"
    print(f"\ncatdog from {results['repo']} ({results['commit']}); {proxy}; {training}")
    print(f"{results['cpus']} CPUs, {results['rounds']} rounds per row; the floor: bench/bare_app.py")
    print("times in seconds; CPU in CPU seconds per session; memory in MB, the highest sampled")
    print("\nfresh server  page drawn  first verdict")
    for name, fresh in results["fresh_server"].items():
        print(f"{name:>12}  {fresh['page_drawn_s']:>10.2f}  {fresh['first_verdict_s']:>13.2f}")
    header = "\nsessions  app     verdicts  right  failed  HTTP>=400  open p50  open p95  verdict p50  verdict p95  "
    print(header + "server CPU open  server CPU verdict  nginx CPU  browser CPU  server MB  with children MB  load avg")
    for r in results["rows"]:
        right = "-" if r["right"] is None else str(r["right"])
        print(
            f"{r['sessions']:>8}  {r['app']:<6}  {r['verdicts']:>8}  {right:>5}  {r['failures']:>6}  "
            f"{r['http_errors']:>9}  {s(r['open_p50_s']):>8}  {s(r['open_p95_s']):>8}  "
            f"{s(r['verdict_p50_s']):>11}  {s(r['verdict_p95_s']):>11}  {r['server_cpu_open_s']:>15.2f}  "
            f"{r['server_cpu_verdict_s']:>18.2f}  {s(r['proxy_cpu_s']):>9}  {r['browser_cpu_s']:>11.2f}  "
            f"{r['server_peak_mb']:>9.0f}  {r['tree_peak_mb']:>16.0f}  {r['load_average']:>8.2f}"
        )
    if results["proxy"]:
        print("\nsessions served by each replica (catdog_replica cookie: sessions/verdicts)")
        for r in results["rows"]:
            shares = ", ".join(f"{name} {counts[0]}/{counts[1]}" for name, counts in sorted(r["replicas"].items()))
            print(f"{r['sessions']:>8}  {r['app']:<6}  {shares}")


def test_photos(count: int) -> list[tuple[str, Path]]:
    """count different photos of the shared test split, cats and dogs taking turns, with their classes."""
    folders = [sorted((SHARED_DATASET / "test" / folder).glob("*.jpg")) for folder in CLASS_FOLDERS]
    return [(CLASS_NAMES[i % 2], folders[i % 2][i // 2]) for i in range(count)]


def commit_of(repo: Path) -> str:
    """The commit checked out in repo, with "+ changes" if its files differ from it (read-only: no index refresh)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, env=env, capture_output=True, text=True)
    changed = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=repo, env=env).returncode
    return head.stdout.strip() + (" + changes" if changed else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 20, 30], help="visitors at once, per row")
    parser.add_argument("--rounds", type=int, default=1, help="bursts per row and app, each with fresh sessions")
    parser.add_argument("--repo", type=Path, default=REPO, help="catdog: this tree or a commit's worktree")
    parser.add_argument("--proxy", action="store_true", help="each app behind nginx (bench/proxy.py)")
    parser.add_argument("--replicas", type=int, default=1, help="app servers behind the proxy, per app")
    parser.add_argument("--with-training", action="store_true", help="a Train-page run trains meanwhile")
    parser.add_argument("--watch-training", action="store_true", help="and its Train page stays open")
    parser.add_argument("--max-minutes", type=float, default=45, help="rows not started by then are skipped")
    args = parser.parse_args()
    args.repo = args.repo.resolve()
    if min(args.sessions) < 1 or args.rounds < 1 or args.replicas < 1:
        parser.error("--sessions, --rounds and --replicas must be at least 1")
    if args.replicas > 1 and not args.proxy:
        parser.error("--replicas needs --proxy")
    if args.watch_training and not args.with_training:
        parser.error("--watch-training needs --with-training")
    if not (args.repo / "app.py").exists():
        parser.error(f"no app.py in {args.repo}")

    results = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "repo": str(args.repo),
        "commit": commit_of(args.repo),
        "proxy": args.proxy,
        "replicas": args.replicas,
        "with_training": args.with_training,
        "watch_training": args.watch_training,
        "rounds": args.rounds,
        "photo": "12 MP phone JPEG (bench.common.phone_jpeg) of a different shared test photo per visitor",
        "fresh_server": {},
        "server_peak_hwm_mb": {},
        "rows": [],
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="catdog-load-") as folder:
        folder = Path(folder)
        (folder / "models").mkdir()  # empty: only the bundled models are listed
        sources = test_photos(max(args.sessions))
        results["photos"] = [source.name for _, source in sources]
        photos = []  # (12 MP phone JPEG, class): stored sideways with an EXIF orientation, as phones save them
        for i, (label, source) in enumerate(sources):
            photos.append((folder / f"IMG_{i:04d}.jpg", label))  # a phone's name: no hint of the class
            photos[-1][0].write_bytes(phone_jpeg(source))
        print(f"{len(photos)} phone photos made in {time.monotonic() - started:.0f} s")
        asyncio.run(run(args, photos, folder, results))
    results["seconds"] = round(time.monotonic() - started, 1)
    print_table(results)
    out = REPO / "bench" / "results" / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nserver peak (VmHWM) {results['server_peak_hwm_mb']} MB")
    print(f"{results['seconds']:.0f} s in all; saved {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
