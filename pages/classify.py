"""Classify page: upload photos (or take one), see what the convnet sees and how sure it is."""

import logging
import random
from pathlib import Path

import pandas as pd
import streamlit as st

from catdog.charts import probability_figure
from catdog.config import CLASS_NAMES, DATA_DIR, PHOTO_SUFFIXES
from catdog.data import find_dataset, list_datasets
from catdog.photos import PhotoError, enlarge
from pages import route_through_app
from pages.common import current_classifier, model_label, try_load_classifier, usable_models

route_through_app()  # first: a shared link to this page opens the whole app

log = logging.getLogger("catdog")


@st.cache_data(show_spinner=False)
def test_photos() -> list[tuple[str, int]]:
    """(path, label) of every test photo in the configured data folder: the demo's sample pool."""
    return [
        (str(p), label) for root in list_datasets(DATA_DIR) for p, label in find_dataset(root).splits.get("test", [])
    ]


def photo_sources_ui() -> list[tuple[str, object, str | None]]:
    """Uploads, the camera and the sample button; returns (name, file or path, true label or None)."""
    uploads = st.file_uploader(
        "Drop photos of cats or dogs here",
        type=[suffix[1:] for suffix in PHOTO_SUFFIXES],
        accept_multiple_files=True,
        key="uploads",
    )
    sources = [(f.name, f, None) for f in uploads or []]
    camera_column, sample_column = st.columns(2)
    if camera_column.toggle("Take a photo with the camera", key="use_camera"):
        snapshot = st.camera_input("Camera", key="camera")
        if snapshot is not None:
            sources.append(("camera photo", snapshot, None))
    samples = test_photos()
    if samples and sample_column.button("🎲 Try a random photo from the test set", key="random_sample"):
        st.session_state["sample"] = random.choice(samples)
    if st.session_state.get("sample"):
        path, label = st.session_state["sample"]
        sources.append((path.rsplit("/", 1)[-1], path, CLASS_NAMES[label]))
    return sources


def classify_all(sources, classifiers) -> dict[str, list]:
    """{model path: [Prediction or Unreadable per source]}; kept per visitor for the photos still shown."""
    from catdog.predict import Unreadable

    previous = st.session_state.get("predictions", {})
    kept, results = {}, {}
    for classifier in classifiers:
        results[str(classifier.path)] = []
        for _, source, _ in sources:
            key = (str(classifier.path), getattr(source, "file_id", None) or str(source))
            if key not in previous:
                try:
                    previous[key] = classifier.classify(source)
                except PhotoError as error:
                    previous[key] = Unreadable(f"{error}.")
            kept[key] = previous[key]
            results[str(classifier.path)].append(kept[key])
    st.session_state["predictions"] = kept  # photos removed from the uploader are forgotten
    failed = sum(isinstance(r, Unreadable) for r in next(iter(results.values())))
    log.info("classified %d photos, %d unreadable", len(sources) - failed, failed)
    return results


def results_table_ui(sources, results) -> None:
    rows = [
        {"file": name, "verdict": r.verdict, "dog probability": r.dog_probability, "time (ms)": round(r.seconds * 1000)}
        for (name, _, _), r in zip(sources, results)
        if isinstance(r, Prediction)
    ]
    if len(rows) < 2:
        return
    table = pd.DataFrame(rows)
    st.dataframe(
        table,
        hide_index=True,
        key="results_table",
        column_config={"dog probability": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
    )
    st.download_button(
        "Download as CSV", table.to_csv(index=False), "catdog-results.csv", "text/csv", key="download_csv"
    )


def result_card_ui(index: int, name: str, prediction, true_label: str | None, others: dict[str, object]) -> None:
    with st.container(border=True):
        st.markdown(f"#### {name}")
        photo_column, input_column, verdict_column = st.columns([3, 3, 4])
        photo_column.image(
            prediction.photo, caption=f"Your photo, upright ({prediction.photo.width} × {prediction.photo.height})"
        )
        size = prediction.pixels.shape[0]
        input_column.image(
            enlarge(prediction.pixels, max(1, 384 // size)),
            caption=f"What the model sees: {size} × {size} pixels, enlarged",
        )
        with verdict_column:
            icon = "🐶" if prediction.label == "dog" else "🐱"
            if prediction.verdict.startswith("Not sure"):
                st.warning(f"🤔 **{prediction.verdict}**")
            else:
                st.success(f"{icon} **{prediction.verdict}**")
            st.plotly_chart(
                probability_figure(prediction.dog_probability), key=f"chart_{index}", config={"displayModeBar": False}
            )
            if true_label:
                st.caption(f"True label: **{true_label}**")
            st.caption(f"Classified in {prediction.seconds * 1000:.0f} ms")
        if others:
            model_comparison_ui(index, others)


def model_comparison_ui(index: int, others: dict[str, object]) -> None:
    """Every other model's verdict on the same photo, side by side: where a scratch and a pretrained model disagree."""
    st.markdown("**What the other models say**")
    for column, (path, prediction) in zip(st.columns(len(others)), others.items()):
        with column:
            st.caption(model_label(Path(path)))
            if isinstance(prediction, Prediction):
                st.markdown(f"{'🐶' if prediction.label == 'dog' else '🐱'} **{prediction.verdict}**")
            else:
                st.markdown(f"⚠️ {prediction.reason}")


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
sources = photo_sources_ui()
if not sources:
    st.info("Upload a photo (or several) to start.")
classifier = current_classifier()  # on a first visit, loads while the visitor picks a photo
if not sources:
    how_it_works_ui(classifier.image_size)
    st.stop()

from catdog.model import UnusableModel  # noqa: E402 -- TensorFlow loads with the first model, not before
from catdog.predict import Prediction, Unreadable  # noqa: E402

others = [p for p in usable_models() if p != classifier.path]
compare = bool(others) and st.toggle(
    "Compare all models", key="compare_models", help="Every model's verdict on each photo, side by side"
)
classifiers = [classifier]
for loaded in [try_load_classifier(p) for p in others] if compare else []:
    if isinstance(loaded, UnusableModel):
        st.warning(f"“{loaded.path.stem}” is left out of the comparison: {loaded.reason}.")
    else:
        classifiers.append(loaded)
results = classify_all(sources, classifiers)
mine = results[str(classifier.path)]
for (name, _, _), result in zip(sources, mine):
    if isinstance(result, Unreadable):
        st.error(f"**{name}**: {result.reason}", icon="⚠️")
results_table_ui(sources, mine)
for index, ((name, _, true_label), result) in enumerate(zip(sources, mine)):
    if isinstance(result, Prediction):
        others_said = {path: said[index] for path, said in results.items() if path != str(classifier.path)}
        result_card_ui(index, name, result, true_label, others_said)
how_it_works_ui(classifier.image_size)
