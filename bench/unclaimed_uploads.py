"""Does a visitor who PUTs file after file straight to Streamlit's upload URL fill the server's memory?

    python -m bench.unclaimed_uploads [--files 40] [--mb 45] [--arena-max 2] [--after 60]

Starts `streamlit run app.py` on a free port, then plays one visitor over plain HTTP and a websocket, as the
browser does: the XSRF cookie from a page request, a websocket whose first script run loads the model, a
file_urls_request whose answer names the session, then PUTs of random bytes that no widget ever asks for.
Reports how many uploads were refused and the server's resident memory (VmRSS) at the start (page drawn, model
loaded), at its peak, and --after seconds after the websocket closed (the tab closed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from websockets.sync.client import connect

from bench.common import REPO, free_port, healthy, stop_server

XSRF_COOKIE = "_streamlit_xsrf"
SERVER_START_S = 60
FIRST_RUN_S = 180  # a script run on a busy machine
MODEL_LOAD_S = 180  # a fresh server importing TensorFlow and loading the model behind its first page


def resident_mb(pid: int) -> float:
    """The process's resident memory (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_server(port: int, arena_max: int | None, log) -> subprocess.Popen:
    """The app on 127.0.0.1:port with training off and an empty data folder, answering its health check."""
    env = {**os.environ, "CATDOG_TRAINING": "off", "CATDOG_DATA_DIR": tempfile.mkdtemp(prefix="catdog-empty-")}
    env.pop("MALLOC_ARENA_MAX", None)
    if arena_max:
        env["MALLOC_ARENA_MAX"] = str(arena_max)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + SERVER_START_S
    while not healthy(f"http://127.0.0.1:{port}"):
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.5)
    return server


class Visitor:
    """One browser tab, spoken to as the frontend speaks: an HTTP session for uploads, a websocket for the script."""

    def __init__(self, url: str) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.url, self.BackMsg, self.ForwardMsg = url, BackMsg, ForwardMsg
        self.uploader_id = None  # the id of the last file uploader a script run drew
        self.model_loading = False  # whether the last script run said the model was still loading
        self.http = requests.Session()
        self.http.get(f"{url}/_stcore/health", timeout=10)  # sets the XSRF cookie, as the page's first requests do
        self.xsrf = self.http.cookies[XSRF_COOKIE]
        self.socket = connect(
            url.replace("http", "ws") + "/_stcore/stream",
            subprotocols=["streamlit", self.xsrf],
            origin=url,
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self.xsrf}"},
            max_size=None,
        )

    def __enter__(self) -> Visitor:
        self.socket.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.__exit__(*exc)

    def open_page(self) -> None:
        """Run the page until it is drawn with its model: a fresh server's first runs say "Loading the model…"."""
        deadline = time.monotonic() + MODEL_LOAD_S
        self.run_script()
        while self.model_loading:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the model did not load in {MODEL_LOAD_S} s")
            time.sleep(0.5)
            self.run_script()

    def run_script(self, widgets=()) -> None:
        """Ask for a script run (opening the page, or with these WidgetStates changed) and wait until it ends."""
        self.model_loading = False
        message = self.BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.widget_states.widgets.extend(widgets)
        self.socket.send(message.SerializeToString())
        self._receive_until("script_finished", FIRST_RUN_S)

    def upload_photos(self, session_id: str, photos: list[Path]) -> None:
        """Send photos through the page's file uploader, as a browser does: PUT each, then the widget's new value."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=self.uploader_id)
        for photo in photos:
            file_id = f"{photo.stem}-{time.monotonic_ns()}"
            data = photo.read_bytes()
            if self.put(session_id, file_id, data) != 204:
                raise RuntimeError(f"{photo.name} was refused")
            state.file_uploader_state_value.uploaded_file_info.add(name=photo.name, size=len(data), file_id=file_id)
        self.run_script([state])

    def session_id(self) -> str:
        """The session's id, from the upload URL the server hands out for a file, as the uploader asks for one."""
        message = self.BackMsg()
        message.file_urls_request.request_id = "bench"
        message.file_urls_request.file_names.append("photo.jpg")
        message.file_urls_request.session_id = ""
        self.socket.send(message.SerializeToString())
        answer = self._receive_until("file_urls_response", 30)
        return answer.file_urls_response.file_urls[0].upload_url.rstrip("/").split("/")[-2]

    def put(self, session_id: str, file_id: str, data: bytes) -> int:
        """PUT one file to the upload URL with the visitor's XSRF token; returns the HTTP status."""
        response = self.http.put(
            f"{self.url}/_stcore/upload_file/{session_id}/{file_id}",
            files={"file": (f"{file_id}.jpg", data, "image/jpeg")},
            headers={"X-Xsrftoken": self.xsrf},
            timeout=120,
        )
        return response.status_code

    def _receive_until(self, kind: str, timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = self.ForwardMsg()
            message.ParseFromString(self.socket.recv(timeout=deadline - time.monotonic()))
            if message.WhichOneof("type") == "delta" and message.delta.new_element.HasField("file_uploader"):
                self.uploader_id = message.delta.new_element.file_uploader.id
            if message.WhichOneof("type") == "delta" and "Loading the model" in message.delta.new_element.alert.body:
                self.model_loading = True
            if message.WhichOneof("type") == kind:
                return message
        raise TimeoutError(f"no {kind} in {timeout_s} s")


class PeakMemory:
    """Samples a process's resident memory every 0.2 s on a thread; .peak is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, resident_mb(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, resident_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=40, help="uploads to send")
    parser.add_argument("--mb", type=float, default=45, help="megabytes per upload (server.maxUploadSize is 50)")
    parser.add_argument("--arena-max", type=int, help="run the server with MALLOC_ARENA_MAX set to this")
    parser.add_argument("--after", type=float, default=60, help="seconds to watch after the tab closed")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = start_server(port, args.arena_max, log)
        try:
            with Visitor(url) as visitor:
                visitor.open_page()
                session_id = visitor.session_id()
                time.sleep(2)
                start = resident_mb(server.pid)
                peak = PeakMemory(server.pid)
                statuses = []
                sending = time.monotonic()
                for i in range(args.files):
                    statuses.append(visitor.put(session_id, f"unclaimed-{i}", os.urandom(int(args.mb * 1_000_000))))
                sent_s = time.monotonic() - sending
                after_uploads = resident_mb(server.pid)
            closed = time.monotonic()
            watched = []
            while time.monotonic() - closed < args.after:
                time.sleep(5)
                watched.append((time.monotonic() - closed, resident_mb(server.pid)))
            peak_mb = peak.stop()
        finally:
            stop_server(server)
            if server.returncode not in (0, -15, None):
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:])

    accepted = statuses.count(204)
    print(f"MALLOC_ARENA_MAX={args.arena_max or 'unset'}; {args.files} uploads of {args.mb:g} MB in {sent_s:.1f} s")
    print(f"accepted {accepted}, refused {len(statuses) - accepted} (statuses {sorted(set(statuses))})")
    print(f"server RSS: start {start:.0f} MB, peak {peak_mb:.0f} MB, after the uploads {after_uploads:.0f} MB")
    print("after the tab closed: " + ", ".join(f"+{s:.0f} s {mb:.0f} MB" for s, mb in watched))
    print(f"at +{args.after:.0f} s: {watched[-1][1] - start:+.0f} MB from the start")


if __name__ == "__main__":
    main()
