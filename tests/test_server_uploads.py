"""A visitor who sends files straight to a real server's upload URL, past any page, as a script can: refused past
the session's budget, and let go of once the tab has closed. Spoken to as bench/unclaimed_uploads.py does, over
plain HTTP and the app's websocket; no browser."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from test_browser import SERVERS, resident_mb, running_app, uploads_held_bytes

from bench.unclaimed_uploads import Visitor
from catdog.config import UPLOADS_HELD_BYTES_MAX

pytestmark = pytest.mark.slow

UPLOAD_BYTES = 45_000_000  # under server.maxUploadSize (50 MB), as in the flood
RECONNECT_S = 2  # server.disconnectedSessionTTL for this test: a closed tab's session ends 2 s later


def test_files_sent_past_any_page_are_refused_past_the_budget_and_freed_when_the_tab_closes(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "models").mkdir()
    options = ("--server.disconnectedSessionTTL", str(RECONNECT_S))
    with running_app(tmp_path / "data", tmp_path / "models", tmp_path / "streamlit.log", options) as url:
        server = SERVERS[url]
        with Visitor(url) as visitor:
            visitor.open_page()  # the Classify page drawn, the model loaded
            session_id = visitor.session_id()
            before = resident_mb(server.pid)
            fitting = UPLOADS_HELD_BYTES_MAX // UPLOAD_BYTES
            statuses = [visitor.put(session_id, f"unclaimed-{i}", os.urandom(UPLOAD_BYTES)) for i in range(fitting + 2)]
            assert statuses == [204] * fitting + [413] * 2, "refused past the session's budget, the server still up"
            assert uploads_held_bytes(url) == fitting * UPLOAD_BYTES
        deadline = time.monotonic() + 15  # less than the 20 s after which uploads no page read are dropped anyway
        while uploads_held_bytes(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert uploads_held_bytes(url) == 0, "the closed tab's session ended, and its uploads with it"
        grown = resident_mb(server.pid) - before
        assert grown < 150, f"the server grew by {grown:.0f} MB and kept it"
