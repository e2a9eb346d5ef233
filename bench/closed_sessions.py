"""Does the server give back what visitors' sessions held once they have closed their tabs?

    python -m bench.closed_sessions [--sessions 20] [--photos 5] [--arena-max 2] [--after 150]

Starts `streamlit run app.py` (training off), then one visitor after another opens the Classify page, sends
--photos test photos of the shared dataset through its uploader (each kept, classified and shown with its
heatmap) and closes the tab. Reports the server's resident memory (VmRSS) with the model loaded, after the
last tab closed, and every 10 s for --after seconds: a closed tab's session is kept
server.disconnectedSessionTTL (120 s) for a reconnect, then closed.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from bench.common import free_port, stop_server
from bench.unclaimed_uploads import Visitor, resident_mb, start_server
from catdog.config import SHARED_DATASET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--photos", type=int, default=5, help="photos each visitor sends")
    parser.add_argument("--arena-max", type=int, help="run the server with MALLOC_ARENA_MAX set to this")
    parser.add_argument("--after", type=float, default=150, help="seconds to watch after the last tab closed")
    args = parser.parse_args()
    photos = sorted((SHARED_DATASET / "test" / "cats").glob("*.jpg")) + sorted(
        (SHARED_DATASET / "test" / "dogs").glob("*.jpg")
    )

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = start_server(port, args.arena_max, log)
        try:
            with Visitor(url) as first:  # loads TensorFlow and the model
                first.open_page()
            time.sleep(2)
            loaded = resident_mb(server.pid)
            started = time.monotonic()
            peak = loaded
            for visit in range(args.sessions):
                with Visitor(url) as visitor:
                    visitor.run_script()
                    sent = photos[visit * args.photos : (visit + 1) * args.photos]
                    visitor.upload_photos(visitor.session_id(), sent)
                peak = max(peak, resident_mb(server.pid))
            visits_s = time.monotonic() - started
            closed = time.monotonic()
            watched = [(0.0, resident_mb(server.pid))]
            while time.monotonic() - closed < args.after:
                time.sleep(10)
                watched.append((time.monotonic() - closed, resident_mb(server.pid)))
        finally:
            stop_server(server)

    print(f"MALLOC_ARENA_MAX={args.arena_max or 'unset'}; {args.sessions} visitors sent {args.photos} photos each")
    print(f"in {visits_s:.0f} s; server RSS with the model loaded {loaded:.0f} MB, highest after a visit {peak:.0f} MB")
    print("after the last tab closed: " + ", ".join(f"+{s:.0f} s {mb:.0f} MB" for s, mb in watched))


if __name__ == "__main__":
    main()
