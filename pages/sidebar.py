"""The sidebar's presentation switch and model picker, and how a model is named and described."""

from pathlib import Path

import streamlit as st

from catdog.runs import read_record
from catdog.visitor_text import markdown_literal
from pages.language import language, t
from pages.models import MODEL_KEY, usable_models
from pages.runs import started_from

PRESENT_KEY = "present"  # session state: presentation mode (for a projector), kept across pages

# Style by Streamlit's data-testid attributes and the st-key-KEY class of a keyed container or widget.
# Below 640 px Streamlit stacks columns: a Classify card's verdict column is dissolved (display: contents)
# so its two keyed parts can be ordered around the photo column: verdict and bar, photo, the model's input.
PHONE_CSS = """
@media (max-width: 640px) {
  [class*="st-key-card_"] [data-testid="stColumn"]:has([class*="st-key-verdict_"]),
  [class*="st-key-card_"] [data-testid="stColumn"]:has([class*="st-key-verdict_"]) > [data-testid="stVerticalBlock"] {
    display: contents;
  }
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-verdict_"]) { order: -1; flex: 1 1 100%; }
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-sees_"]) { order: 1; flex: 1 1 100%; }
}
"""
# A model's name with no space in it ("scratch-aug-allpc-1202-1405") breaks inside the sidebar, beside its radio dot.
SIDEBAR_CSS = """
[data-testid="stSidebar"] [data-testid="stRadio"] label p { overflow-wrap: anywhere; }
"""
# Presentation mode, for the back of a room at 1280×720: Streamlit sizes type and spacing in rem, so a
# larger root size scales the whole page; then less chrome, a large verdict, and a photo that fits the screen.
PRESENT_CSS = """
html { font-size: 21px; }
[data-testid="stDecoration"], [data-testid="stToolbar"] { display: none; }
[data-testid="stMainBlockContainer"] { padding: 2rem 1.5rem 1rem; }
[class*="st-key-verdict_"] [data-testid="stAlert"] p { font-size: 1.6rem; line-height: 1.3; }
[class*="st-key-card_"] [data-testid="stImage"] img { max-height: 36vh; width: auto; }
[data-testid="stMetricValue"] { font-size: 3rem; }
"""


def presenting() -> bool:
    """Whether this visitor is in presentation mode, as choose_presentation() set it for this run."""
    return st.session_state.get(PRESENT_KEY, False)


def choose_presentation() -> bool:
    """Presentation mode for this run: the link's ?present=1 (or 0), else the visitor's earlier choice.
    The address bar then says ?present=1 while it is on, so a teacher's copied link opens the room view."""
    from_url = st.query_params.get("present")
    present = from_url == "1" if from_url in ("0", "1") else presenting()
    st.session_state[PRESENT_KEY] = present
    _link_presentation()
    return present


def _link_presentation() -> None:
    """?present=1 in the address bar while presentation mode is on; nothing while it is off."""
    if presenting() and st.query_params.get("present") != "1":
        st.query_params["present"] = "1"
    elif not presenting():
        st.query_params.pop("present", None)


def presentation_ui() -> None:
    """The sidebar's presentation switch, then the page's style: for a projector in presentation mode, and
    (always) for a phone, whose narrow screen gets each photo's verdict before the photo, and the model picker."""
    st.sidebar.toggle(
        "📽️ " + t("common.present"), key=PRESENT_KEY, help=t("common.present_help"), on_change=_link_presentation
    )
    st.html(f"<style>{PHONE_CSS}{SIDEBAR_CSS}{PRESENT_CSS if presenting() else ''}</style>")


def model_label(path: Path) -> str:
    """A model's name, what it started from and its best score: 'catdog · pretrained MobileNetV2 1.0 · 99% accuracy'.

    A model that scored about 50% says 'guessing: train longer' instead of its score.
    """
    record = read_record(path)
    if record is None:
        return path.stem
    named = record.title or record.title_key  # else the file's name: a model copied to a new name keeps its old record
    parts = [record.display_name(language()) if named else path.stem, started_from(record.config)]
    score = record.test_accuracy or record.validation_accuracy
    if record.guessing:
        parts.append(t("model.guessing"))
    elif score:
        parts.append(t("model.accuracy", score=f"{score:.0%}"))
    return " · ".join(parts)


def accuracy_text(accuracy: float | None) -> str:
    """An accuracy as the model's details and downloads show it: '97.5%', or '–' when it was not measured."""
    return "–" if accuracy is None else f"{accuracy:.1%}"


def default_model(models: list[Path]) -> Path:
    """The first model that is not guessing (the bundled one, when it is there); the first one if all are."""
    return next((path for path in models if not _guessing(path)), models[0])


def _guessing(path: Path) -> bool:
    record = read_record(path)
    return record is not None and record.guessing


def model_picker_ui() -> Path | None:
    """Sidebar choice of model with its record; returns the chosen path."""
    with st.spinner(t("common.checking_models")):
        models = usable_models()
    with st.sidebar:
        st.subheader(t("common.model"))
        if not models:
            st.warning(t("common.no_model"))
            return None
        options = [str(p) for p in models]
        if st.session_state.get(MODEL_KEY) not in options:
            st.session_state[MODEL_KEY] = str(default_model(models))
        # Labels made now, in this run's language: a widget may call its format_func between runs too.
        labels = {option: markdown_literal(model_label(Path(option))) for option in options}  # radios read Markdown
        # Radio buttons, not a drop-down: their labels wrap, so a run's full title shows; a drop-down cuts it.
        chosen = Path(st.radio(t("common.classify_with"), options, key=MODEL_KEY, format_func=labels.__getitem__))
        model_details_ui(chosen)
    return chosen


def model_details_ui(path: Path) -> None:
    record = read_record(path)
    if record is None:
        st.caption(t("model.no_record"))
        return
    config = record.config
    lines = [
        t("model.details.started_from", start=started_from(config)),
        t("model.details.input", size=record.image_size),
        t(
            "model.details.trained_with_augmentation" if config.augment else "model.details.trained",
            when=record.created[:16].replace("T", " "),
            photos=record.train_photos,
            data=Path(record.data).name,
            epochs=record.epochs_run,
        ),
        t("model.details.validation_accuracy", accuracy=accuracy_text(record.validation_accuracy)),
        t("model.details.test_accuracy", accuracy=accuracy_text(record.test_accuracy)),
    ]
    st.caption("  \n".join(lines))
