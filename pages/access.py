"""Who may train on this server: its training mode, the visitor's token, and the password box."""

import math
import uuid

import streamlit as st

from catdog.config import training_setting
from catdog.guard import Answer, PasswordGuard
from pages.language import t

UNLOCKED_KEY = "training_unlocked"  # session state: this visitor typed the right password
PASSWORD_KEY = "training_password"  # the password box's key
ANSWER_KEY = "password_answer"  # session state: the guard's answer to this visitor's last guess


def training_setting_now() -> tuple[str, str]:
    """CATDOG_TRAINING's mode ("on", "off" or "password") and its password, from the environment or the secrets."""
    try:
        secrets = dict(st.secrets)
    except FileNotFoundError:
        secrets = {}
    return training_setting(secrets)


def visitor() -> str:
    """A token for this browser session: a run remembers who started it, and only they may stop it."""
    return st.session_state.setdefault("visitor", uuid.uuid4().hex)


@st.cache_resource(show_spinner=False)
def password_guard() -> PasswordGuard:
    """The server's one guard: every session's guesses count against the same limits."""
    return PasswordGuard()


def training_allowed_ui() -> bool:
    """Whether this visitor may start runs; hosted demos turn it off or lock it behind a password."""
    mode, password = training_setting_now()
    st.session_state["training_mode"] = mode
    if mode == "off":
        st.info(t("train.off"))
        return False
    if mode == "on" or st.session_state.get(UNLOCKED_KEY):
        return True
    answer = st.session_state.pop(ANSWER_KEY, None)
    refusal = password_guard().refusal()
    if refusal and refusal.answer == Answer.LOCKED:  # for every session: the box comes back once the window allows
        st.error(t("train.too_many_tries", seconds=_whole(refusal.seconds)))
        return False
    st.text_input(t("train.password"), type="password", key=PASSWORD_KEY, on_change=_check_password, args=(password,))
    if answer and answer.answer == Answer.WRONG:
        st.error(t("train.wrong_password"))
    elif answer and answer.answer == Answer.WAIT:
        st.error(t("train.password_wait", seconds=_whole(answer.seconds)))
    return False


def _check_password(password: str) -> None:
    """Each guess once, when typed, by the server's guard; the box is emptied for the next."""
    typed = st.session_state.get(PASSWORD_KEY, "")
    if not typed:
        return
    st.session_state[PASSWORD_KEY] = ""
    answer = password_guard().check(typed, password, client=st.context.ip_address)
    if answer.answer == Answer.RIGHT:
        st.session_state[UNLOCKED_KEY] = True
    st.session_state[ANSWER_KEY] = answer


def _whole(seconds: float) -> int:
    """Seconds to wait, rounded up: 'try again in 0 s' would be refused."""
    return max(1, math.ceil(seconds))
