"""A visitor whose browser comes back to a server that no longer holds their session is told so.

When a server restarts, or a replica behind a proxy dies and the proxy sends its visitors to another,
the browser reconnects with its old session's id, the server has no such session, and Streamlit starts
a new, empty one without a word: the visitor's photos are simply gone. Streamlit's browser code passes
that old id in the websocket's Sec-WebSocket-Protocol header ("streamlit, <XSRF token>, <session id>"),
which the session's st.context.headers keeps: an id there that is not this session's is a lost one.

Streamlit 1.67's browser code does not ask the new session to run (it expects its old one back), so the
page would stay as it was, its uploads refused by a server that knows no such session, until the visitor
touched a widget. rerun_sessions_that_replace_lost_ones() has the server run each such session at once.
It is installed by the first script run a server process makes: a restarted server's very first
connection, if it is such a reconnect, still waits for the visitor's first click.
"""

import functools
import logging

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pages.language import t

LOST = "lost_session"  # session state: True when this session replaced one the server no longer had


log = logging.getLogger("catdog")


def lost_session_ui() -> None:
    """On every page, until the visitor dismisses it: the server restarted and what they had is gone."""
    rerun_sessions_that_replace_lost_ones()
    if LOST not in st.session_state:
        asked, context = session_asked_for(), get_script_run_ctx()
        st.session_state[LOST] = bool(asked and context and asked != context.session_id)
    if st.session_state[LOST]:
        with st.container(horizontal=True, wrap=False, vertical_alignment="center", key="lost_session_notice"):
            st.warning(t("app.session_lost"), icon="🔄", width="stretch")
            st.button("✕", key="lost_session_dismiss", help=t("app.dismiss"), on_click=_dismiss)


def session_asked_for() -> str | None:
    """The session id the browser asked to reconnect to, if any: the third entry of Sec-WebSocket-Protocol."""
    header = st.context.headers.get("Sec-Websocket-Protocol") or ""
    entries = [entry.strip() for entry in header.split(",")]
    return entries[2] if len(entries) >= 3 and entries[2] else None


def _dismiss() -> None:
    st.session_state[LOST] = False


@st.cache_resource(show_spinner=False)
def rerun_sessions_that_replace_lost_ones() -> None:
    """Once per server process: a browser that reconnects asking for a session this server does not hold gets
    its new session run at once, so that its page says why it is empty and its uploads reach a live session."""
    if not Runtime.exists():  # an AppTest: no server, no websockets
        return
    runtime = Runtime.instance()
    runtime.connect_session = _running_replacements(runtime, runtime.connect_session)


def _running_replacements(runtime: Runtime, connect_session):
    @functools.wraps(connect_session)
    def connect(*args, existing_session_id: str | None = None, **kwargs) -> str:
        session_id = connect_session(*args, existing_session_id=existing_session_id, **kwargs)
        if existing_session_id and session_id != existing_session_id:
            log.info("a browser came back for session %s, which this server does not hold", existing_session_id)
            info = runtime._session_mgr.get_active_session_info(session_id)
            if info is not None:
                info.session.request_rerun(None)
        return session_id

    return connect
