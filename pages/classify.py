"""Classify page: upload photos (or take one), see what the convnet sees and how sure it is."""

import logging
import random
from pathlib import Path

import pandas as pd
import streamlit as st
from PIL import Image

from catdog.charts import probability_figure
from catdog.config import CLASS_NAMES, DATA_DIR, KEPT_BYTES_MAX, KEPT_PHOTOS_MAX, PHOTO_SUFFIXES
from catdog.data import find_dataset, list_datasets
from catdog.photos import KeptPhoto, PhotoError, enlarge, jpeg_bytes, load_photo, overlay
from pages import route_through_app
from pages.common import current_classifier, model_label, try_load_classifier, usable_models

route_through_app()  # first: a shared link to this page opens the whole app

log = logging.getLogger("catdog")

# Session state, kept across pages until the visitor removes them: the photos (newest first),
# each model's result for each photo (and its heatmap), and the files that could not be kept, and why.
PHOTOS, RESULTS, HEATMAPS, UNREADABLE = "kept_photos", "results", "heatmaps", "unreadable_uploads"
HANDED_OVER = "uploads_handed_over"  # the uploader's file ids already taken: it lists them until the visitor clears it
CAMERA_PHOTO = "camera photo"
HEATMAP_SIDE = 512  # pixels on the long side of the photo shown with its heatmap


@st.cache_data(show_spinner=False)
def test_photos() -> list[tuple[str, int]]:
    """(path, label) of every test photo in the configured data folder: the demo's sample pool."""
    return [
        (str(p), label) for root in list_datasets(DATA_DIR) for p, label in find_dataset(root).splits.get("test", [])
    ]


def photo_sources_ui():
    """The uploader, the camera and the sample button.

    Returns what was just sent, as (name, file or path, true label), and the row of buttons.
    """
    uploads = st.file_uploader(
        "Drop photos of cats or dogs here",
        type=[suffix[1:] for suffix in PHOTO_SUFFIXES],
        accept_multiple_files=True,
        key="uploads",
    )
    handed_over = st.session_state.setdefault(HANDED_OVER, set())
    sources = [(f.name, f, None) for f in uploads or [] if f.file_id not in handed_over]
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")  # wraps on a narrow screen
    if row.toggle("📷 Camera", key="use_camera", help="Take a photo with this device's camera"):
        generation = st.session_state.get("camera_generation", 0)  # a new one empties the camera for the next photo
        snapshot = st.camera_input("Camera", key=f"camera_{generation}")
        if snapshot is not None:
            sources.append((CAMERA_PHOTO, snapshot, None))
    samples = test_photos()
    if samples and row.button(
        "🎲 Random test photo", key="random_sample", help="A photo of the test set, with its true label"
    ):
        path, label = random.choice(samples)
        sources.append((Path(path).name, path, CLASS_NAMES[label]))
    return sources, row


def keep_photos(sources, classifier) -> None:
    """Decode what was just sent, keep each photo as a small JPEG and classify it; then let go of the upload's bytes.

    A visitor keeps at most KEPT_PHOTOS_MAX photos and KEPT_BYTES_MAX bytes of them: on a shared demo
    server, one playful visitor cannot fill its memory.
    """
    kept, results = st.session_state.get(PHOTOS, []), st.session_state.setdefault(RESULTS, {})
    new, unreadable, refused = [], [], []
    for name, source, true_label in sources:
        if len(kept) + len(new) >= KEPT_PHOTOS_MAX or sum(len(p.jpeg) for p in kept + new) >= KEPT_BYTES_MAX:
            refused.append(name)
            continue
        try:
            photo = load_photo(source)
        except PhotoError as error:
            unreadable.append((name, f"{error}."))
            continue
        new.append(KeptPhoto.keep(name, photo, true_label))
        results[(str(classifier.path), new[-1].id)] = classifier.classify_photo(photo)
    st.session_state[PHOTOS] = new + kept  # the newest first, each upload in its own order
    st.session_state[UNREADABLE] = (
        st.session_state.get(UNREADABLE, [])[-KEPT_PHOTOS_MAX:]
        + unreadable
        + [
            (name, f"not added: one visitor keeps up to {KEPT_PHOTOS_MAX} photos at a time. Remove some to add more.")
            for name in refused
        ]
    )
    log.info(
        "kept %d photos, %d unreadable, %d refused",
        len(sources) - len(unreadable) - len(refused),
        *map(len, (unreadable, refused)),
    )
    _release_uploads([source for _, source, _ in sources if hasattr(source, "file_id")])
    if any(name == CAMERA_PHOTO for name, _, _ in sources):
        st.session_state["camera_generation"] = st.session_state.get("camera_generation", 0) + 1
        st.rerun()  # the camera, empty again, is ready for the next photo


def _release_uploads(files) -> None:
    """Drop uploads' bytes now that their photos are kept: they would stay until the visitor's session ends.

    Streamlit holds each upload twice: in its upload store, and in the uploader's value, which it
    keeps between runs. The first copy is removed; emptying the file frees the second. The uploader
    still lists the files (each is taken once), and files still on their way are taken in a later run.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    manager = getattr(context, "uploaded_file_mgr", None)
    if hasattr(manager, "remove_file"):  # the in-memory manager Streamlit's server uses
        for file in files:
            manager.remove_file(context.session_id, file.file_id)
    released = {file.file_id for file in files}
    st.session_state.setdefault(HANDED_OVER, set()).update(released)
    for file in [*files, *(st.session_state.get("uploads") or [])]:  # the uploader's value: other objects, same bytes
        if file.file_id in released:
            file.seek(0)
            file.truncate()


def classify_kept(classifiers) -> dict[str, list]:
    """{model path: [Prediction per kept photo]}: each model classifies each photo once per visitor."""
    kept, results = st.session_state.get(PHOTOS, []), st.session_state.setdefault(RESULTS, {})
    by_model = {}
    for classifier in classifiers:
        missing = [p for p in kept if (str(classifier.path), p.id) not in results]
        for photo in missing:
            results[(str(classifier.path), photo.id)] = classifier.classify_photo(photo.photo())
        if missing:
            log.info("classified %d kept photos with %s", len(missing), classifier.path.name)
        by_model[str(classifier.path)] = [results[(str(classifier.path), p.id)] for p in kept]
    return by_model


def where_it_looked(classifier, photo: KeptPhoto, prediction) -> bytes:
    """The photo with its Grad-CAM heatmap over it (a JPEG), computed once per model and photo."""
    from catdog.explain import heatmap

    heatmaps = st.session_state.setdefault(HEATMAPS, {})
    key = (str(classifier.path), photo.id)
    if key not in heatmaps:
        shown = photo.photo()
        shown.thumbnail((HEATMAP_SIDE, HEATMAP_SIDE))
        heatmaps[key] = jpeg_bytes(overlay(shown, heatmap(classifier.model, prediction.pixels)), quality=85)
    return heatmaps[key]


def remove_photo(photo_id: str | None) -> None:
    """Forget one kept photo and its results, or with None all of them and the list of files not kept."""
    kept = st.session_state.get(PHOTOS, [])
    st.session_state[PHOTOS] = [p for p in kept if photo_id is not None and p.id != photo_id]
    ids = {p.id for p in st.session_state[PHOTOS]}
    for kept_by_model in (RESULTS, HEATMAPS):
        st.session_state[kept_by_model] = {
            k: v for k, v in st.session_state.get(kept_by_model, {}).items() if k[1] in ids
        }
    if photo_id is None:
        st.session_state[UNREADABLE] = []


def results_table_ui(kept: list[KeptPhoto], predictions: list, model_path: Path) -> None:
    """Several photos: one row each, and the same as CSV with the model named and numbers rounded for people."""
    from catdog.predict import percent

    if len(kept) < 2:
        return
    table = pd.DataFrame(
        {
            "file": [p.name for p in kept],
            "verdict": [r.verdict for r in predictions],
            "dog probability": [percent(r.dog_probability) for r in predictions],
            "true label": [p.true_label or "" for p in kept],
            "time (ms)": [round(r.seconds * 1000) for r in predictions],
        }
    )
    st.dataframe(table, hide_index=True, key="results_table")
    csv = table.drop(columns="time (ms)").assign(
        model=model_path.stem, **{"dog probability (0 to 1)": [f"{r.dog_probability:.4f}" for r in predictions]}
    )
    st.download_button("Download as CSV", csv.to_csv(index=False), "catdog-results.csv", "text/csv", key="download_csv")


def result_card_ui(classifier, photo: KeptPhoto, prediction, looked: bytes | None, others: dict[str, object]) -> None:
    """The photo on the left; on the right, from the top, the verdict, its bar and what the model sees.

    The verdict sits level with the top of the photo, so both show together on a projector's screen.
    """
    with st.container(border=True):
        title_column, remove_column = st.columns([6, 1], vertical_alignment="center")
        title_column.markdown(f"#### {photo.name}")
        remove_column.button(
            "✕", key=f"remove_{photo.id}", help="Remove this photo", on_click=remove_photo, args=(photo.id,)
        )
        photo_column, verdict_column = st.columns([3, 5])
        width, height = photo.original_size
        photo_column.image(photo.jpeg, caption=f"Your photo, upright: {width} × {height} pixels")
        if looked:
            photo_column.image(looked, caption="Where the model looked: red counted most for its verdict")
        with verdict_column:
            icon = "🐶" if prediction.label == "dog" else "🐱"
            if prediction.verdict.startswith("Not sure"):
                st.warning(f"🤔 **{prediction.verdict}**")
            else:
                st.success(f"{icon} **{prediction.verdict}**")
            if photo.true_label:
                right = "✅ right" if photo.true_label == prediction.label else "❌ wrong"
                st.caption(f"True label: **{photo.true_label}** ({right})")
            st.plotly_chart(
                probability_figure(prediction.dog_probability),
                key=f"chart_{photo.id}",
                config={"displayModeBar": False},
            )
            size = prediction.pixels.shape[0]
            st.image(
                enlarge(prediction.pixels, max(1, 192 // size)),
                caption=f"What the model sees: {size} × {size} pixels, enlarged",
                width=192,
            )
            st.caption(f"Classified in {prediction.seconds * 1000:.0f} ms")
        if others:
            model_comparison_ui(others)
        look_inside_ui(classifier, photo, prediction)


def look_inside_ui(classifier, photo: KeptPhoto, prediction) -> None:
    """For one photo: what a chosen convolution outputs (edges first, parts of animals later), and augmentation."""
    if not st.toggle("Look inside the model", key=f"inside_{photo.id}", help="What its layers see, and augmentation"):
        return
    from catdog.explain import activation_grid, activations, augmented_versions, conv_layers

    layers = conv_layers(classifier.model)
    layer = st.select_slider("Convolutional layer, first to last", layers, value=layers[0], key=f"layer_{photo.id}")
    outputs = activations(classifier.model, prediction.pixels, layer)
    height, width, channels = outputs.shape
    grid = activation_grid(outputs)
    factor = max(1, 640 // grid.width)  # small late maps blown up, pixels kept sharp
    st.image(
        grid.resize((grid.width * factor, grid.height * factor), Image.Resampling.NEAREST),
        caption=f"{layer}: {min(channels, 32)} of its {channels} channels, each {width} × {height} (white: strong)",
    )
    st.markdown("**How augmentation sees this photo**: training shows the model a new variation each epoch")
    versions = augmented_versions(prediction.pixels, 8, seed=int(photo.id[:8], 16))  # the same ones on every run
    st.image([enlarge(v, max(1, 128 // v.shape[0])) for v in versions], width=128)


def model_comparison_ui(others: dict[str, object]) -> None:
    """Every other model's verdict on the same photo, side by side: where a scratch and a pretrained model disagree."""
    st.markdown("**What the other models say**")
    for column, (path, prediction) in zip(st.columns(len(others)), others.items()):
        with column:
            st.caption(model_label(Path(path)))
            st.markdown(f"{'🐶' if prediction.label == 'dog' else '🐱'} **{prediction.verdict}**")


def how_it_works_ui(image_size: int) -> None:
    size = f"{image_size} × {image_size}"
    with st.expander("How does this work?"):
        st.markdown(
            f"""
A **convolutional neural network** (a *convnet*) looked at thousands of labelled photos of
cats and dogs and learned, layer by layer, which patterns tell them apart: edges first, then
textures like fur, then shapes like ears and snouts.

1. Your photo is turned upright and **squashed to {size} pixels**: that small square (shown
   enlarged above) is all the model ever sees.
2. The pixels flow through the convnet's layers, which end in a single number between 0 and 1:
   the **dog probability**.
3. Over 50% means *dog*, under 50% means *cat*. Near 50% the model is unsure, and we say so.

The probability is how sure the model is, not a guarantee: a model trained on pet photos has
never seen a fox, a drawing or a cat in a dog costume, and will still answer cat or dog.
"""
        )


st.title("🐾 Cat or dog?")
st.write("Upload one or more photos of a pet and see what the convnet sees and decides.")
sources, buttons = photo_sources_ui()
classifier = current_classifier()  # on a first visit, loads while the visitor picks a photo
if sources:
    keep_photos(sources, classifier)
for name, reason in st.session_state.get(UNREADABLE, []):
    st.error(f"**{name}**: {reason}", icon="⚠️")
kept = st.session_state.get(PHOTOS, [])
if kept:
    buttons.button("Remove all photos", key="clear_photos", on_click=remove_photo, args=(None,))
if not kept:
    st.info("Upload a photo (or several) to start.")
    how_it_works_ui(classifier.image_size)
    st.stop()

from catdog.model import UnusableModel  # noqa: E402 -- TensorFlow loads with the first model, not before

others = [p for p in usable_models() if p != classifier.path]
compare = bool(others) and st.sidebar.toggle(
    "Compare all models", key="compare_models", help="Every model's verdict on each photo, side by side"
)
show_heatmaps = st.sidebar.toggle(
    "Where the model looked",
    value=st.session_state.get("heatmaps_on", True),
    key="show_heatmaps",
    help="A Grad-CAM heatmap over each photo: the parts that counted most for the verdict",
)
st.session_state["heatmaps_on"] = show_heatmaps  # kept across pages, where the toggle itself is not drawn
classifiers = [classifier]
for loaded in [try_load_classifier(p) for p in others] if compare else []:
    if isinstance(loaded, UnusableModel):
        st.warning(f"“{loaded.path.stem}” is left out of the comparison: {loaded.reason}.")
    else:
        classifiers.append(loaded)
results = classify_kept(classifiers)
mine = results.pop(str(classifier.path))
for index, (photo, prediction) in enumerate(zip(kept, mine)):
    looked = where_it_looked(classifier, photo, prediction) if show_heatmaps else None
    result_card_ui(classifier, photo, prediction, looked, {path: said[index] for path, said in results.items()})
results_table_ui(kept, mine, classifier.path)
how_it_works_ui(classifier.image_size)
