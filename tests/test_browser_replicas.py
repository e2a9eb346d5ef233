"""Two app replicas behind nginx, configured by deploy/nginx.conf itself (bench/proxy.py): a class of visitors,
each kept on one replica by the catdog_replica cookie, and a replica dying under its visitor.

The replicas are two `streamlit run app.py` on free 127.0.0.1 ports (bench.load.start_server), sharing one
empty models folder, as public replicas share theirs. Each visitor is a fresh browser context whose user agent
ends with its number, so nginx's access log says which replica each of its requests reached. Needs Debian's
nginx and Chromium: skipped without them, failed on CI. Screenshots go to tests/artifacts/replicas-*.png.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import PAGE_TIMEOUT_MS, missing
from test_browser import ARTIFACTS, REPO, VERDICT, VERDICT_TIMEOUT_MS, result_card, screenshot, upload

from bench.common import free_port, stop_server
from bench.load import start_server
from bench.proxy import ACCESS_LOG, NGINX, start_proxy, stop_proxy
from catdog.locales.en import STRINGS

pytestmark = pytest.mark.slow

VISITORS = 6
MAX_VISITORS = 10  # more come only while every visitor so far was drawn the same replica (1 in 32 for six)
CANDIDATES = 8  # test photos per class that the bundled model is asked about
COOKIE = "catdog_replica"
KINDS = ("cat", "dog")
START_TEXT = "Upload a photo (or several) to start."
SESSION_LOST = STRINGS["app.session_lost"]  # what a visitor whose session is gone reads
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) .* "(?P<agent>[^"]*)" '
    r"cookie=(?P<cookie>\S*) upstream=(?P<upstream>.*)$"
)


@dataclass
class Replicas:
    url: str  # nginx's
    ports: list[int]
    servers: dict[int, subprocess.Popen]
    access_log: Path
    models: Path  # the folder both replicas list and neither may write


@dataclass
class Visitor:
    number: int
    context: object
    page: object
    failed_responses: list[str] = field(default_factory=list)  # "STATUS URL" of every answer >= 400

    @property
    def agent(self) -> str:
        return f"catdog-visitor/{self.number}"

    def replica(self) -> int:
        """The replica the visitor's cookie names now."""
        cookies = {cookie["name"]: cookie["value"] for cookie in self.context.cookies()}
        return int(cookies[COOKIE])


@pytest.fixture(scope="module")
def sure_photos(photos_of):
    """sure_photos(): (photo, "cat" or "dog") of the test photos, cats and dogs in turn, that the bundled model gets
    right with 90% or more. `python -m catdog predict` answers while the replicas start; the first call waits for it."""
    candidates = {photo: kind for kind in KINDS for photo in photos_of("test", f"{kind}s")[:CANDIDATES]}
    command = [sys.executable, "-m", "catdog", "predict", "--json", *map(str, candidates)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answers: list[tuple[Path, str]] = []

    def sure() -> list[tuple[Path, str]]:
        if not answers:
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, f"python -m catdog predict failed:\n{err[-2000:]}"
            said = [json.loads(line) for line in out.splitlines()]
            right = {Path(s["path"]) for s in said if s["label"] == candidates[Path(s["path"])]}
            confident = {Path(s["path"]) for s in said if abs(s["dog_probability"] - 0.5) >= 0.4}
            cats, dogs = ([p for p in candidates if candidates[p] == kind and p in right & confident] for kind in KINDS)
            answers.extend((photo, candidates[photo]) for pair in zip(cats, dogs) for photo in pair)
        return answers

    yield sure
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two app servers behind nginx, as deploy/nginx.conf puts public replicas; logs copied to tests/artifacts."""
    if not NGINX.is_file():
        missing("needs nginx", f"no {NGINX} (apt-get install nginx)")
    root = tmp_path_factory.mktemp("replicas")
    models = root / "models"
    models.mkdir()
    ports: list[int] = []
    while len(ports) < 2:
        port = free_port()
        if port not in ports:
            ports.append(port)
    logs = {port: root / f"replica-{port}.log" for port in ports}
    started: dict[int, subprocess.Popen] = {}
    try:
        with ThreadPoolExecutor(len(ports)) as pool:
            starting = {port: pool.submit(start_server, port, models, logs[port]) for port in ports}
        failures = [str(future.exception()) for future in starting.values() if future.exception()]
        started.update({port: future.result() for port, future in starting.items() if not future.exception()})
        if failures:  # start_server's SystemExit: this server did not start
            pytest.fail("\n".join(failures))
        proxy, proxy_port = start_proxy(ports, root / "proxy")
        try:
            yield Replicas(f"http://127.0.0.1:{proxy_port}", ports, started, root / "proxy" / ACCESS_LOG, models)
        finally:
            stop_proxy(proxy)
    finally:
        for server in started.values():
            stop_server(server)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        kept = {f"server-{n}.log": logs[port] for n, port in enumerate(ports, 1)}
        kept |= {"nginx-access.log": root / "proxy" / ACCESS_LOG, "nginx-errors.log": root / "proxy" / "nginx.log"}
        for name, path in kept.items():
            if path.is_file():
                (ARTIFACTS / f"replicas-{name}").write_bytes(path.read_bytes())


def arrive(browser, url: str, number: int, cookie_port: int | None = None) -> Visitor:
    """A new visitor opening the Classify page through nginx (with cookie_port: one whose cookie names that replica)."""
    agent = f"Mozilla/5.0 (X11; Linux x86_64) Chrome/{browser.version} Safari/537.36 catdog-visitor/{number}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, user_agent=agent)
    if cookie_port is not None:
        context.add_cookies([{"name": COOKIE, "value": str(cookie_port), "url": url}])
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    visitor = Visitor(number, context, page)
    page.on("response", lambda r: visitor.failed_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="commit")  # the page's own answer, with its cookie: the rest loads meanwhile
    return visitor


def verdict_of(visitor: Visitor, photo: Path) -> str:
    """The class the verdict on photo's card names ("cat" or "dog"; "unsure" for "Not sure")."""
    card = result_card(visitor.page, photo.name)
    card.get_by_text(VERDICT).first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    said = VERDICT.search(card.inner_text())
    return said.group(1).lower() if said.group(1) else "unsure"


def logged_requests(access_log: Path, agent: str) -> list[dict]:
    """The requests nginx logged for one visitor: method, path, status, cookie, upstream ("-" when nginx answered)."""
    lines = access_log.read_text().splitlines()
    found = [LOG_LINE.search(line) for line in lines]
    return [line.groupdict() for line in found if line and line["agent"].endswith(agent)]


def wait_for_logged_stream(access_log: Path, agent: str) -> None:
    """nginx logs a websocket when it closes: wait until the closed tab's is in."""
    deadline = time.monotonic() + 10
    while not any(r["path"] == "/_stcore/stream" for r in logged_requests(access_log, agent)):
        assert time.monotonic() < deadline, f"nginx logged no websocket of {agent}"
        time.sleep(0.2)


def test_a_class_behind_nginx_is_shared_by_both_replicas_each_visitor_staying_on_its_own(
    browser, sure_photos, replicas
):
    visitors: list[Visitor] = []
    try:
        while len(visitors) < VISITORS or len({v.replica() for v in visitors}) < 2:
            assert len(visitors) < MAX_VISITORS, f"{MAX_VISITORS} new visitors, all drawn the same replica"
            visitors.append(arrive(browser, replicas.url, len(visitors) + 1))
        photos = sure_photos()
        assert len(photos) >= len(visitors), f"only {len(photos)} photos the model is sure and right about"
        for visitor in visitors:
            visitor.page.get_by_text(START_TEXT).wait_for()
        for visitor, (photo, _) in zip(visitors, photos):
            upload(visitor.page, photo)
        for visitor, (photo, kind) in zip(visitors, photos):
            assert verdict_of(visitor, photo) == kind, f"visitor {visitor.number} got the verdict on {photo.name}"
            others = [p.name for p, _ in photos if p != photo]
            headings = visitor.page.get_by_role("heading").all_inner_texts()
            assert not set(others) & set(headings), f"visitor {visitor.number} sees another's photo: {headings}"
            page_text = visitor.page.locator("body").inner_text()
            assert not re.search("session", page_text, re.IGNORECASE), page_text[-600:]
            assert visitor.failed_responses == [], f"visitor {visitor.number}: {visitor.failed_responses}"
        landed = {visitor.number: visitor.replica() for visitor in visitors}
        assert set(landed.values()) == set(replicas.ports), landed
        for port in replicas.ports:
            first = min(number for number, replica in landed.items() if replica == port)
            screenshot(visitors[first - 1].page, f"replicas-visitor-on-{replicas.ports.index(port) + 1}")
    finally:
        for visitor in visitors:
            visitor.context.close()

    for visitor in visitors:
        wait_for_logged_stream(replicas.access_log, visitor.agent)
        requests = logged_requests(replicas.access_log, visitor.agent)
        proxied = [r for r in requests if r["upstream"] != "-"]
        # Every request that reached an app server reached the visitor's replica, and no other was tried first.
        assert {r["upstream"] for r in proxied} == {f"127.0.0.1:{landed[visitor.number]}"}, proxied
        assert all(int(r["status"]) < 400 for r in requests), requests
        paths = [r["path"] for r in proxied]
        for kind in ("/_stcore/stream", "/_stcore/upload_file/", "/media/"):
            assert any(path.startswith(kind) for path in paths), f"visitor {visitor.number}: no {kind} in {paths}"
        assert any(r["path"].startswith("/static/js/") for r in requests if r["upstream"] == "-"), (
            "nginx served Streamlit's JavaScript itself"
        )
    assert list(replicas.models.iterdir()) == [], "public replicas write nothing into the shared models folder"


def test_a_visitor_whose_replica_dies_is_told_and_classifies_again_on_the_other(browser, sure_photos, replicas):
    """Runs last: it kills a replica of the module's pair."""
    doomed, survivor = replicas.ports
    (before, before_kind), (after, after_kind) = sure_photos()[:2]
    visitor = arrive(browser, replicas.url, MAX_VISITORS + 1, cookie_port=doomed)
    try:
        page = visitor.page
        page.get_by_text(START_TEXT).wait_for()
        upload(page, before)
        assert verdict_of(visitor, before) == before_kind
        assert visitor.replica() == doomed

        os.killpg(replicas.servers[doomed].pid, signal.SIGKILL)  # the whole server at once, as in a crash
        replicas.servers[doomed].wait(timeout=10)
        # The page reconnects through nginx, which passes the dead replica over: a new session on the survivor.
        page.get_by_text(SESSION_LOST).wait_for(timeout=VERDICT_TIMEOUT_MS)
        assert visitor.replica() == survivor, "the cookie now names the replica that answered"
        screenshot(page, "replicas-a-replica-died")
        upload(page, after)
        assert verdict_of(visitor, after) == after_kind
        assert not [r for r in visitor.failed_responses if r.startswith("400 ")], visitor.failed_responses
        screenshot(page, "replicas-a-replica-died-then-a-photo")
    finally:
        visitor.context.close()
