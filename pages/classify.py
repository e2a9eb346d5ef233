"""Classify page: upload photos (or take one), see what the convnet sees and how sure it is."""

import contextlib
import logging
import random
from pathlib import Path

import streamlit as st
from PIL import Image
from streamlit.runtime.uploaded_file_manager import UploadedFile

from catdog.charts import probability_bars_html
from catdog.config import (
    CLASS_NAMES,
    KEPT_BYTES_MAX,
    KEPT_PHOTOS_MAX,
    PHOTO_SUFFIXES,
    UPLOADS_HELD_BYTES_MAX,
    UPLOADS_HELD_FILES_MAX,
)
from catdog.i18n import Message
from catdog.photos import KeptPhoto, PhotoError, enlarge, jpeg_bytes, load_photo, overlay
from catdog.runs import read_record
from catdog.visitor_text import csv_cell, markdown_literal
from catdog.wording import UnusableModel, is_unsure, percent, verdict
from pages import route_through_app
from pages.datasets import dataset, datasets
from pages.kept_photos import kept_photos, set_kept_photos
from pages.language import language, t
from pages.models import current_classifier, picked_model, try_load_classifier, usable_models
from pages.pictures import scroll_into_view
from pages.server_memory import refused_uploads
from pages.sidebar import model_label, presenting

route_through_app()  # first: a shared link to this page opens the whole app

log = logging.getLogger("catdog")

# Session state, kept across pages until the visitor removes them: the photos (newest first),
# each model's result for each photo (and its heatmap), and the files that could not be kept: (name, why in
# the library's words, or None for a file over the visitor's limit).
RESULTS, HEATMAPS, UNREADABLE = "results", "heatmaps", "unreadable_uploads"
# The uploader's batch number, and the files of the batch just sent: each batch, once sent, is taken from
# a fresh, empty uploader (a new key), so that its files are no longer listed as if the page still held them.
UPLOAD_BATCH, SENT_UPLOADS = "upload_batch", "sent_uploads"
CAMERA_PHOTO = "camera photo"  # a camera snapshot's name; shown as shown_name() says
HEATMAP_SIDE = 512  # pixels on the long side of the photo shown with its heatmap
SCROLL_TO = "scroll_to"  # session state: the key of the card the page brings into view after its next run
SHOWN = "shown_photo"  # presentation mode shows one kept photo at a time: its index, newest first


def test_photos() -> list[tuple[Path, int]]:
    """(path, label) of every photo no model trained on in the data folder: the demo's sample pool.

    Each dataset's test split, else its validation split (the tutorial's download has no test split); listed as the
    other pages list them (pages.datasets), so data downloaded while the server runs counts at once.
    """
    pool = []
    for root in datasets():
        splits = dataset(root).splits
        pool += splits.get("test") or splits.get("validation", [])
    return pool


def photo_sources_ui():
    """The uploader, the camera and the sample button.

    Returns what was just sent, as (name, file or path, true label), and the row of buttons.
    """
    batch = st.session_state.get(UPLOAD_BATCH, 0)
    st.file_uploader(
        t("classify.uploader"),
        type=[suffix[1:] for suffix in PHOTO_SUFFIXES],
        accept_multiple_files=True,
        key=f"uploads_{batch}",
        on_change=_take_uploads,
        args=(f"uploads_{batch}",),
    )
    sources = [(f.name, f, None) for f in st.session_state.pop(SENT_UPLOADS, [])]
    # Uploads past the session's budget (catdog.uploads) never reach the uploader's value: say which, and why.
    limits = {"files": UPLOADS_HELD_FILES_MAX, "megabytes": UPLOADS_HELD_BYTES_MAX // 10**6}
    refused = [(name, Message("classify.upload_refused", limits)) for name in refused_uploads()]
    if refused:
        st.session_state[UNREADABLE] = st.session_state.get(UNREADABLE, [])[-KEPT_PHOTOS_MAX:] + refused
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")  # wraps on a narrow screen
    if row.toggle("📷 " + t("classify.camera"), key="use_camera", help=t("classify.camera_help")):
        generation = st.session_state.get("camera_generation", 0)  # a new one empties the camera for the next photo
        snapshot = st.camera_input(t("classify.camera"), key=f"camera_{generation}")
        if snapshot is not None:
            sources.append((CAMERA_PHOTO, snapshot, None))
    samples = test_photos()
    if samples and row.button(
        "🎲 " + t("classify.random_photo"), key="random_sample", help=t("classify.random_photo_help")
    ):
        path, label = random.choice(samples)
        sources.append((Path(path).name, path, CLASS_NAMES[label]))
    return sources, row


def keep_photos(sources, classifier) -> None:
    """Decode what was just sent, keep each photo as a small JPEG and classify it (once the model has loaded: else
    classify_kept does, later); then let go of the upload's bytes.

    A visitor keeps at most KEPT_PHOTOS_MAX photos and KEPT_BYTES_MAX bytes of them: on a shared demo
    server, one playful visitor cannot fill its memory.
    """
    kept, results = kept_photos(), st.session_state.setdefault(RESULTS, {})
    new, unreadable, refused = [], [], []
    for name, source, true_label in sources:
        if len(kept) + len(new) >= KEPT_PHOTOS_MAX or sum(len(p.jpeg) for p in kept + new) >= KEPT_BYTES_MAX:
            refused.append(name)
            continue
        try:
            photo = load_photo(source)
        except PhotoError as error:
            unreadable.append((name, error.said))
            continue
        new.append(KeptPhoto.keep(name, photo, true_label))
        if classifier is not None:
            with contextlib.suppress(TimeoutError):  # too busy: classify_kept tries again on the next run
                results[(str(classifier.path), new[-1].id)] = classifier.classify_shared(photo, new[-1].digest)
    set_kept_photos(new + kept)  # the newest first, each upload in its own order
    st.session_state[SHOWN] = 0  # presentation mode shows the photo just sent
    st.session_state[UNREADABLE] = (
        st.session_state.get(UNREADABLE, [])[-KEPT_PHOTOS_MAX:] + unreadable + [(name, None) for name in refused]
    )
    log.info(
        "kept %d photos, %d unreadable, %d refused",
        len(sources) - len(unreadable) - len(refused),
        *map(len, (unreadable, refused)),
    )
    _release_uploads([source for _, source, _ in sources if hasattr(source, "file_id")])
    if any(name == CAMERA_PHOTO for name, _, _ in sources):
        st.session_state["camera_generation"] = st.session_state.get("camera_generation", 0) + 1
        if new:  # its verdict is drawn below the camera's view, out of sight on a desktop: the page goes to it
            st.session_state[SCROLL_TO] = f"card_{new[0].id}"
        st.rerun()  # the camera, empty again, is ready for the next photo


def _take_uploads(key: str) -> None:
    """Take a batch of uploads as it arrives (Streamlit sends the value once every file in it has arrived)
    and move on to a fresh uploader, which lists nothing."""
    # A file removed from the uploader before the batch was taken stays in its value as a DeletedFile, without a name.
    files = st.session_state.get(key) or []
    st.session_state[SENT_UPLOADS] = [f for f in files if isinstance(f, UploadedFile)]
    st.session_state[UPLOAD_BATCH] = st.session_state.get(UPLOAD_BATCH, 0) + 1


def _release_uploads(files) -> None:
    """Drop uploads' bytes now that their photos are kept: they would stay until the visitor's session ends.

    Streamlit holds each upload twice: in its upload store, and in the uploader's value, which it
    keeps between runs until the widget is gone. The first copy is removed; emptying the file frees the second.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    manager = getattr(context, "uploaded_file_mgr", None)
    if hasattr(manager, "remove_file"):  # the in-memory manager Streamlit's server uses
        for file in files:
            manager.remove_file(context.session_id, file.file_id)
    for file in files:
        file.seek(0)
        file.truncate()


def classify_kept(classifiers) -> dict[str, list]:
    """{model path: [Prediction per kept photo]}: each model classifies each photo once per visitor.

    Each photo goes through the model with whatever other visitors send at the same moment, and a photo the
    server has seen lately is answered from memory (catdog.serving). On a server too busy to answer in time,
    the page says so and stops; its next run tries again.
    """
    kept, results = kept_photos(), st.session_state.setdefault(RESULTS, {})
    by_model = {}
    for classifier in classifiers:
        missing = [p for p in kept if (str(classifier.path), p.id) not in results]
        for photo in missing:
            try:
                results[(str(classifier.path), photo.id)] = classifier.classify_shared(photo.photo(), photo.digest)
            except TimeoutError:
                log.warning("no verdict within the serving timeout: the server is overloaded")
                st.warning(t("classify.busy"), icon="⏳")
                st.stop()
        if missing:
            log.info("classified %d kept photos with %s", len(missing), classifier.path.name)
        by_model[str(classifier.path)] = [results[(str(classifier.path), p.id)] for p in kept]
    return by_model


def where_it_looked(classifier, photo: KeptPhoto, prediction) -> bytes:
    """The photo with its Grad-CAM heatmap over it (a JPEG), computed once per model and photo."""
    heatmaps = st.session_state.setdefault(HEATMAPS, {})
    key = (str(classifier.path), photo.id)
    if key not in heatmaps:
        shown = photo.photo()
        shown.thumbnail((HEATMAP_SIDE, HEATMAP_SIDE))
        heatmaps[key] = jpeg_bytes(overlay(shown, classifier.heatmap_of(prediction)), quality=85)
    return heatmaps[key]


def remove_photo(photo_id: str | None) -> None:
    """Forget one kept photo and its results, or with None all of them and the list of files not kept."""
    kept = kept_photos()
    set_kept_photos([p for p in kept if photo_id is not None and p.id != photo_id])
    ids = {p.id for p in kept_photos()}
    for kept_by_model in (RESULTS, HEATMAPS):
        st.session_state[kept_by_model] = {
            k: v for k, v in st.session_state.get(kept_by_model, {}).items() if k[1] in ids
        }
    if photo_id is None:
        st.session_state[UNREADABLE] = []


def results_table_ui(kept: list[KeptPhoto], predictions: list, model_path: Path) -> None:
    """Several photos: one row each, and the same as CSV with the model named and numbers rounded for people."""
    if len(kept) < 2:
        return
    import pandas as pd  # half a second to import: not on a fresh server's first page

    lang = language()
    table = pd.DataFrame(
        {
            t("classify.table.file"): [shown_name(p) for p in kept],
            t("classify.table.verdict"): [table_verdict(r, lang) for r in predictions],
            t("classify.table.dog_probability"): [percent(r.dog_probability, lang) for r in predictions],
            t("classify.table.true_label"): [t(f"class.{p.true_label}") if p.true_label else "" for p in kept],
            t("classify.table.time"): [round(r.seconds * 1000) for r in predictions],
        }
    )
    st.dataframe(table, hide_index=True, key="results_table")
    csv = table.drop(columns=t("classify.table.time")).assign(
        **{
            t("classify.table.model"): model_path.stem,
            t("classify.table.probability"): [f"{r.dog_probability:.4f}" for r in predictions],
            t("classify.table.neither_column"): [r.neither for r in predictions],
        }
    )
    st.download_button(
        t("classify.download_csv"),
        csv.map(csv_cell).to_csv(index=False),  # a photo named =HYPERLINK(…) stays a name
        "catdog-results.csv",
        "text/csv",
        key="download_csv",
    )


def table_verdict(prediction, lang: str) -> str:
    """The verdict, or for a photo that is probably neither a cat nor a dog, that doubt with the verdict beside it."""
    said = verdict(prediction.dog_probability, lang)
    return t("classify.table.neither", verdict=said) if prediction.neither else said


def shown_name(photo: KeptPhoto) -> str:
    """The photo's file name, or "camera photo" in the visitor's language."""
    return t("classify.camera_photo") if photo.name == CAMERA_PHOTO else photo.name


def result_card_ui(
    classifier,
    photo: KeptPhoto,
    prediction,
    looked: bytes | None,
    others: dict[str, object],
    place: tuple[int, int] | None = None,
) -> None:
    """The photo on the left; on the right, from the top, the verdict, its bar and what the model sees.

    The verdict sits level with the top of the photo, so both show together on a projector's screen.
    On a phone's narrow screen, where the columns stack, the verdict and its bar come first, then the
    photo, then what the model sees (pages/sidebar.py's style reorders them by their keys). `place`,
    (index, count) in presentation mode, puts ◀ and ▶ beside the photo's name.
    """
    with st.container(border=True, key=f"card_{photo.id}"):
        header = st.container(horizontal=True, vertical_alignment="center")
        # Stretched: it pushes the buttons to the right. The visitor's file name, never Markdown.
        header.markdown(f"#### {markdown_literal(shown_name(photo))}", width="stretch")
        if place and place[1] > 1:
            pager_ui(header, *place)
        header.button(
            "✕", key=f"remove_{photo.id}", help=t("classify.remove_photo"), on_click=remove_photo, args=(photo.id,)
        )
        photo_column, verdict_column = st.columns([3, 5])
        width, height = photo.original_size
        photo_column.image(photo.jpeg, caption=t("classify.your_photo", width=width, height=height))
        if looked:
            photo_column.image(looked, caption=t("classify.where_it_looked"))
        with verdict_column.container(key=f"verdict_{photo.id}"):
            icon = "🐶" if prediction.label == "dog" else "🐱"
            said = verdict(prediction.dog_probability, language())
            if prediction.neither:  # whatever the two-class verdict, it is not to be trusted here
                st.warning(f"🤷 **{t('classify.neither')}**")
                st.caption(t("classify.neither_model_says", verdict=said))
            elif is_unsure(prediction.dog_probability):
                st.warning(f"🤔 **{said}**")
            else:
                st.success(f"{icon} **{said}**")
            if photo.true_label:
                key = (
                    "classify.true_label_right" if photo.true_label == prediction.label else "classify.true_label_wrong"
                )
                st.caption(t(key, label=t(f"class.{photo.true_label}")))
            st.html(probability_bars_html(prediction.dog_probability, language(), presenting()))
        with verdict_column.container(key=f"sees_{photo.id}"):
            size = prediction.pixels.shape[0]
            st.image(
                enlarge(prediction.pixels, max(1, 192 // size)),
                caption=t("classify.model_sees", size=size),
                width=192,
            )
            if not presenting():
                st.caption(t("classify.classified_in", ms=f"{prediction.seconds * 1000:.0f}"))
        if others:
            model_comparison_ui(others)
        look_inside_ui(classifier, photo, prediction)


def look_inside_ui(classifier, photo: KeptPhoto, prediction) -> None:
    """For one photo: what a chosen convolution outputs (edges first, parts of animals later), and augmentation."""
    if not st.toggle(t("classify.look_inside"), key=f"inside_{photo.id}", help=t("classify.look_inside_help")):
        return
    from catdog.explain import activation_grid, augmented_versions  # TensorFlow: only once this is open

    layers = classifier.conv_layers()
    layer = st.select_slider(t("classify.layer"), layers, value=layers[0], key=f"layer_{photo.id}")
    outputs = classifier.activations(prediction.pixels, layer)
    height, width, channels = outputs.shape
    grid = activation_grid(outputs)
    factor = max(1, 640 // grid.width)  # small late maps blown up, pixels kept sharp
    st.image(
        grid.resize((grid.width * factor, grid.height * factor), Image.Resampling.NEAREST),
        caption=t(
            "classify.channels", layer=layer, shown=min(channels, 32), channels=channels, width=width, height=height
        ),
    )
    st.markdown(t("classify.augmentation"))
    versions = augmented_versions(prediction.pixels, 8, seed=int(photo.id[:8], 16))  # the same ones on every run
    st.image([enlarge(v, max(1, 128 // v.shape[0])) for v in versions], width=128)


def model_comparison_ui(others: dict[str, object]) -> None:
    """Every other model's verdict on the same photo, side by side: where a scratch and a pretrained model disagree."""
    st.markdown(t("classify.other_models"))
    for column, (path, prediction) in zip(st.columns(len(others)), others.items()):
        with column:
            st.caption(markdown_literal(model_label(Path(path))))
            st.markdown(
                f"{'🐶' if prediction.label == 'dog' else '🐱'} **{verdict(prediction.dog_probability, language())}**"
            )


def pager_ui(row, shown: int, count: int) -> None:
    """Presentation mode's one photo per screen: ◀ and ▶ step through the kept photos, "Photo 2 of 5" between."""
    row.button(
        "◀",
        key="previous_photo",
        help=t("classify.previous_photo"),
        disabled=shown == 0,
        on_click=show_photo,
        args=(shown - 1,),
    )
    row.markdown(t("classify.photo_of", number=shown + 1, count=count))
    row.button(
        "▶",
        key="next_photo",
        help=t("classify.next_photo"),
        disabled=shown == count - 1,
        on_click=show_photo,
        args=(shown + 1,),
    )


def show_photo(index: int) -> None:
    st.session_state[SHOWN] = index


def how_it_works_ui(image_size: int | None) -> None:
    """How the verdict comes about; image_size, the model's input side (None while it loads: its record's, if any;
    without one, drawn once the model has loaded)."""
    if image_size is None:
        record = read_record(picked_model())
        if record is None:
            return
        image_size = record.image_size
    with st.expander(t("classify.how_title")):
        st.markdown(t("classify.how", size=f"{image_size} × {image_size}"))
        st.markdown(t("classify.how_neither"))


def model_loading_ui() -> None:
    """A fresh server's model is still loading: say so where the verdicts will be, and redraw the page the moment
    it is ready."""
    st.info(t("classify.model_loading"), icon="⏳")
    _rerun_when_loaded()


@st.fragment(run_every=1.0)
def _rerun_when_loaded() -> None:
    if current_classifier(wait=False) is not None:
        st.rerun()  # the whole page, now with its verdicts


st.title("🐾 " + t("classify.title"))
if not presenting():  # a room watching a projector hears the teacher instead
    st.write(t("classify.intro"))
sources, buttons = photo_sources_ui()
# A fresh server's first page draws at once, the model loading behind it (None until then); photos to
# classify wait for it, with a spinner where their verdicts will be.
classifier = current_classifier(wait=bool(sources or kept_photos()))
if sources:
    keep_photos(sources, classifier)
for name, reason in st.session_state.get(UNREADABLE, []):  # drawn in the language of now, not of the upload
    if reason:  # a catdog.i18n.Message
        why = t("classify.unreadable", reason=reason.text(language()))
    else:
        why = t("classify.refused", count=KEPT_PHOTOS_MAX)
    st.error(f"**{markdown_literal(name)}**: {why}", icon="⚠️")
kept = kept_photos()
if kept:
    buttons.button(t("classify.remove_all"), key="clear_photos", on_click=remove_photo, args=(None,))
if not kept:
    st.info(t("classify.start"))
    if classifier is None:
        model_loading_ui()
    how_it_works_ui(classifier.image_size if classifier else None)
    st.stop()

others = [p for p in usable_models() if p != classifier.path]
compare = bool(others) and st.sidebar.toggle(
    t("classify.compare_all"), key="compare_models", help=t("classify.compare_all_help")
)
show_heatmaps = st.sidebar.toggle(
    t("classify.heatmaps"),
    value=st.session_state.get("heatmaps_on", True),
    key="show_heatmaps",
    help=t("classify.heatmaps_help"),
)
st.session_state["heatmaps_on"] = show_heatmaps  # kept across pages, where the toggle itself is not drawn
classifiers = [classifier]
for loaded in [try_load_classifier(p) for p in others] if compare else []:
    if isinstance(loaded, UnusableModel):
        st.warning(t("classify.left_out", name=markdown_literal(loaded.path.stem), reason=loaded.reason(language())))
    else:
        classifiers.append(loaded)
results = classify_kept(classifiers)
mine = results.pop(str(classifier.path))
# Presentation mode shows one photo per screen; the list may have shrunk since it was picked.
shown = [min(st.session_state.get(SHOWN, 0), len(kept) - 1)] if presenting() else range(len(kept))
for index in shown:
    photo, prediction = kept[index], mine[index]
    looked = where_it_looked(classifier, photo, prediction) if show_heatmaps else None
    others = {path: said[index] for path, said in results.items()}
    result_card_ui(classifier, photo, prediction, looked, others, (index, len(kept)) if presenting() else None)
if scroll_to := st.session_state.pop(SCROLL_TO, None):
    scroll_into_view(scroll_to)
if not presenting():  # a table of every photo is for a screen at arm's length
    results_table_ui(kept, mine, classifier.path)
    how_it_works_ui(classifier.image_size)
