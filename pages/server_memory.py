"""Memory the Streamlit server leaves held after visitors leave: app.py calls guard_server_memory() on every run.

Two gaps in Streamlit 1.67, closed here with as little of its internals as will do:

- Its upload store keeps every file PUT to /_stcore/upload_file/<session>/<id>, read by a widget or not,
  until its session ends: catdog.uploads.UploadBudget bounds each session and drops what no page read.
- A closed tab's session is kept server.disconnectedSessionTTL seconds for a reconnect, in a TTL cache
  (MemorySessionStorage) that, once the time is up, forgets the session without shutting it down: its
  uploads and media files stayed in memory for the life of the process, with no session left. Here each
  session kept for a reconnect is closed, as Streamlit closes a session, when its time is up.

After either frees memory, catdog.memory collects garbage and trims glibc's arenas (MEMORY_RELEASE_DELAY_S later).
"""

import asyncio
import functools
import logging

import streamlit as st
from starlette.exceptions import HTTPException
from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from catdog.config import MEMORY_RELEASE_DELAY_S
from catdog.memory import MemoryReleaser
from catdog.uploads import UploadBudget

log = logging.getLogger("catdog")

SWEEPS_PER_UNCLAIMED_S = 4  # how often, within UNCLAIMED_UPLOAD_S, the upload store is swept


@st.cache_resource(show_spinner=False)
def memory_releaser() -> MemoryReleaser:
    """The server's one releaser: every session's frees join the same pending release."""
    return MemoryReleaser(MEMORY_RELEASE_DELAY_S)


def guard_server_memory() -> None:
    """Bound the runtime's upload store and close sessions whose reconnect time is up; once per server process.

    Both steps are idempotent, so calling this on every run costs two attribute checks.
    """
    if not Runtime.exists():  # AppTest and plain Python: no server, no upload store of its own
        return
    runtime, releaser = Runtime.instance(), memory_releaser()
    store = runtime.uploaded_file_mgr
    if getattr(store, "catdog_upload_budget", None) is None:
        budget = UploadBudget.install(store, refuse_upload, on_drop=releaser.request)
        budget.sweep(budget.unclaimed_s / SWEEPS_PER_UNCLAIMED_S)
    _close_sessions_when_reconnect_time_is_up(runtime, releaser)


def refused_uploads() -> list[str]:
    """The names of this visitor's uploads the budget refused since the page last asked; none outside a server."""
    ctx = get_script_run_ctx()
    budget = getattr(Runtime.instance().uploaded_file_mgr, "catdog_upload_budget", None) if Runtime.exists() else None
    return budget.take_refused(ctx.session_id) if budget and ctx else []


def refuse_upload(reason: str) -> HTTPException:
    """What Streamlit's upload handler answers for an upload past its session's budget: 413, not a crash."""
    return HTTPException(status_code=413, detail=reason)


def _close_sessions_when_reconnect_time_is_up(runtime: Runtime, releaser: MemoryReleaser) -> None:
    """Wrap MemorySessionStorage.save (where a dropped session is kept) to close that session once its time is up.

    Closed a second before the storage would forget it: Runtime.close_session shuts down only a session
    it still finds, and the shutdown is what lets go of the session's uploads and media files.
    """
    if getattr(MemorySessionStorage.save, "closes_when_time_is_up", False):
        return
    save = MemorySessionStorage.save
    keep_s = config.get_option("server.disconnectedSessionTTL")

    @functools.wraps(save)
    def save_then_close_later(storage: MemorySessionStorage, session_info) -> None:
        save(storage, session_info)
        try:  # the runtime saves on its event loop, where sessions must also be closed
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(max(0.0, keep_s - 1), _close_if_not_back, runtime, storage, session_info, releaser)

    save_then_close_later.closes_when_time_is_up = True
    MemorySessionStorage.save = save_then_close_later


def _close_if_not_back(runtime: Runtime, storage: MemorySessionStorage, session_info, releaser: MemoryReleaser) -> None:
    """Close the session unless its visitor came back (or left again, which kept it anew, with a later close)."""
    session_id = session_info.session.id
    if runtime.is_active_session(session_id) or storage.get(session_id) is not session_info:
        return
    runtime.close_session(session_id)
    log.info("closed session %s: its visitor did not come back", session_id)
    releaser.request()
