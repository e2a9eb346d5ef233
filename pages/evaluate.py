"""Evaluate page: score a model on a labelled split, move its threshold, and look at the photos it gets wrong."""

from pathlib import Path

import pandas as pd
import streamlit as st

from catdog.charts import confusion_figure, probability_histogram_figure, roc_figure
from catdog.config import CLASS_NAMES, DOG_THRESHOLD, EVALUATIONS_KEPT, SPLITS
from catdog.evaluation import (
    EvaluationFailed,
    EvaluationStore,
    accuracy,
    cell_photos,
    confusion,
    evaluate_photos,
    evaluation_key,
    least_certain,
    most_confident_mistakes,
    per_photo,
    roc_auc,
    roc_curve,
    roc_point,
    wilson_interval,
)
from catdog.photos import load_photo, model_input, overlay
from catdog.visitor_text import csv_cell, markdown_literal
from catdog.wording import UnusableModel, percent
from pages import route_through_app
from pages.datasets import dataset, pick_dataset
from pages.language import language, t
from pages.models import current_classifier, load_classifier, try_load_classifier, usable_models
from pages.sidebar import model_label, presenting

route_through_app()  # first: a shared link to this page opens the whole app

ASKED_KEY = "evaluations_asked"  # session state: the evaluation_key()s this visitor pressed Evaluate for
GALLERY_SIZE = 6  # photos in the mistakes and least-certain galleries
CELL_PHOTOS = 24  # photos shown from one cell of the confusion matrix
THUMBNAIL_SIDE = 320  # pixels on a gallery photo's longer side
GALLERY_WIDTH = 150  # pixels a gallery photo is shown at: six in a row
NO_MODEL = ""  # the "Compare with" choice of no second model


def folder_ui(dataset_column, split_column) -> tuple[Path, str, list]:
    """The dataset and split to score on, the test split by default; returns (dataset, split, its photos)."""
    root = pick_dataset("evaluate_dataset", t("evaluate.no_dataset"), container=dataset_column)
    splits = {split: items for split, items in dataset(root).splits.items() if items}
    names = [split for split in SPLITS if split in splits]
    # Choices are labelled from dicts made in this run's language: a widget may call its format_func between runs.
    labels = {s: t("evaluate.split_count", split=t(f"split.{s}"), count=len(splits[s])) for s in names}
    split = split_column.radio(
        t("evaluate.photos"),
        names,
        index=names.index("test") if "test" in names else len(names) - 1,
        format_func=labels.__getitem__,
        horizontal=True,
        key="evaluate_split",
        help=t("evaluate.photos_help"),
    )
    return root, split, splits[split]


def models_ui(compare_column) -> list:
    """The sidebar's model and, if picked, a second one to compare with; returns the loaded classifiers."""
    classifier = current_classifier()
    others = [str(p) for p in usable_models() if p != classifier.path]
    if not others:
        return [classifier]
    labels = {NO_MODEL: t("evaluate.no_other_model")} | {p: model_label(Path(p)) for p in others}
    other = compare_column.selectbox(
        t("evaluate.compare_with"),
        list(labels),
        format_func=labels.__getitem__,
        key="compare_with",
        help=t("evaluate.compare_with_help"),
    )
    if other == NO_MODEL:
        return [classifier]
    second = try_load_classifier(Path(other))
    if isinstance(second, UnusableModel):
        name, reason = markdown_literal(second.path.stem), second.reason(language())
        st.warning(t("evaluate.cannot_compare", name=name, reason=reason))
        return [classifier]
    return [classifier, second]


@st.cache_resource(show_spinner=False)
def evaluation_store() -> EvaluationStore:
    """The server's evaluations: each model, dataset and split is scored once, one at a time, for every visitor."""
    return EvaluationStore()


def evaluate_ui(classifiers, root: Path, split: str, items: list) -> list:
    """The Evaluate button; returns each model's Evaluation once this visitor has pressed it, or stops the page."""
    asked = st.session_state.setdefault(ASKED_KEY, [])
    keys = [evaluation_key(c.path, root, split, items) for c in classifiers]
    if st.button(t("evaluate.evaluate"), type="primary", key="evaluate"):
        asked[:] = ([key for key in asked if key not in keys] + keys)[-EVALUATIONS_KEPT:]  # the oldest first
    if any(key not in asked for key in keys):
        names = [markdown_literal(c.path.stem) for c in classifiers]
        split_name = t(f"split.{split}")
        if len(names) == 1:
            st.info(t("evaluate.press_evaluate", count=len(items), split=split_name, name=names[0]))
        else:
            st.info(t("evaluate.press_evaluate_two", count=len(items), split=split_name, name=names[0], other=names[1]))
        st.stop()
    return [shared_evaluation_ui(classifier, key, items) for classifier, key in zip(classifiers, keys)]


def shared_evaluation_ui(classifier, key: tuple, items: list):
    """The server's evaluation for key: kept, awaited from another visitor's computation, or computed here with
    a progress bar; stops the page with a message if the computation awaited failed."""
    store = evaluation_store()
    kept = store.get(key)
    if kept is not None:
        return kept
    name = classifier.path.stem
    bar = st.progress(0.0, text=t("evaluate.classifying", count=len(items), name=name))

    def show(done: int, total: int) -> None:
        bar.progress(done / total, text=t("evaluate.classifying_progress", name=name, done=done, total=total))

    def waiting() -> None:
        bar.progress(0.0, text=t("evaluate.waiting", name=name))

    try:
        evaluation = store.evaluate(key, lambda: evaluate_photos(classifier, items, progress=show), waiting)
    except EvaluationFailed:
        bar.empty()
        st.error(t("evaluate.awaited_failed", name=markdown_literal(name)))
        st.stop()
    bar.empty()
    return evaluation


def summary_ui(classifier, evaluation, threshold: float, picked: tuple[int, int] | None, key: str) -> None:
    """One model's scores at this threshold: accuracy with its 95% interval, AUC, the matrix (`picked` cell
    outlined), the histograms."""
    n = len(evaluation.labels)
    counts = confusion(evaluation, threshold)
    right = int(counts[0, 0] + counts[1, 1])
    low, high = wilson_interval(right, n)
    auc = roc_auc(evaluation.labels, evaluation.dog_probabilities)
    st.markdown(f"**{markdown_literal(model_label(classifier.path))}**")
    accuracy_column, auc_column = st.columns(2)
    accuracy_column.metric(
        t("evaluate.accuracy"),
        f"{accuracy(evaluation, threshold):.1%}",
        help=t("evaluate.accuracy_help"),
    )
    accuracy_column.caption(t("evaluate.right_of", right=right, n=n, low=f"{low:.1%}", high=f"{high:.1%}"))
    auc_column.metric("AUC", "–" if auc is None else f"{auc:.3f}", help=t("evaluate.auc_help"))
    mistakes = int(counts[0, 1] + counts[1, 0])
    auc_column.caption(t("evaluate.one_mistake" if mistakes == 1 else "evaluate.mistakes", count=mistakes))
    st.plotly_chart(
        confusion_figure(counts.tolist(), picked, language(), presenting()),
        key=f"confusion_{key}",
        config={"displayModeBar": False},
    )
    cats = evaluation.dog_probabilities[evaluation.labels == 0].tolist()
    dogs = evaluation.dog_probabilities[evaluation.labels == 1].tolist()
    st.plotly_chart(
        probability_histogram_figure(cats, dogs, threshold, language(), presenting()),
        key=f"histogram_{key}",
        config={"displayModeBar": False},
    )


def roc_ui(classifiers, evaluations, threshold: float, chart_column, text_column) -> None:
    """Every model's ROC curve on one chart, each with its point at the threshold, and how to read it."""
    curves, marks = {}, {}
    for classifier, evaluation in zip(classifiers, evaluations):
        auc = roc_auc(evaluation.labels, evaluation.dog_probabilities)
        if auc is None:
            continue
        name = f"{classifier.path.stem} (AUC {auc:.3f})"
        false_positive_rates, true_positive_rates, _ = roc_curve(evaluation.labels, evaluation.dog_probabilities)
        curves[name] = (false_positive_rates.tolist(), true_positive_rates.tolist())
        marks[name] = roc_point(evaluation, threshold)
    if not curves:
        chart_column.caption(t("evaluate.roc_needs_both"))
        return
    figure = roc_figure(curves, marks, language(), presenting())
    chart_column.plotly_chart(figure, key="roc", config={"displayModeBar": False})
    text_column.caption(t("evaluate.roc_explained"))


def shown_cell(classifiers, evaluations, threshold: float) -> tuple[int, int]:
    """(which model's photos, which cell of its confusion matrix) the visitor looks at.

    The pickers come further down, after the matrices that outline the cell. At first: the
    sidebar's model, and its larger cell of mistakes.
    """
    shown = st.session_state.setdefault("photos_of", 0) if len(classifiers) > 1 else 0
    if "cell" not in st.session_state:
        counts = confusion(evaluations[shown], threshold)
        st.session_state["cell"] = 1 if counts[0, 1] >= counts[1, 0] else 2  # cats said dog, or dogs said cat
    return shown, st.session_state["cell"]


def photos_ui(classifiers, evaluations, threshold: float) -> None:
    """The photos behind the numbers: one cell of the confusion matrix, the worst mistakes, the closest calls."""
    st.subheader(t("evaluate.look_at_photos"))
    index = 0
    if len(classifiers) > 1:
        index = st.segmented_control(
            t("evaluate.photos_as_seen_by"),
            list(range(len(classifiers))),
            required=True,
            format_func=lambda i: classifiers[i].path.stem,
            key="photos_of",
        )
    classifier, evaluation = classifiers[index], evaluations[index]
    counts = confusion(evaluation, threshold)
    labels = [
        t(f"evaluate.cell.{true}s_said_{said}", count=counts[i, j])
        for i, true in enumerate(CLASS_NAMES)
        for j, said in enumerate(CLASS_NAMES)
    ]
    cell = st.segmented_control(
        t("evaluate.cell"),
        list(range(counts.size)),
        required=True,
        format_func=labels.__getitem__,
        key="cell",
    )
    true_label, said_label = divmod(cell, len(CLASS_NAMES))
    members = cell_photos(evaluation, true_label, said_label, threshold)
    if not members:
        st.caption(t("evaluate.empty_cell"))
    elif len(members) > CELL_PHOTOS:
        st.caption(t("evaluate.furthest_first_of", shown=CELL_PHOTOS, count=len(members)))
    else:
        st.caption(t("evaluate.furthest_first"))
    gallery_ui(classifier, evaluation, members[:CELL_PHOTOS], heat=False)

    st.subheader(t("evaluate.mistakes_and_close_calls"))
    show_heat = st.toggle(t("evaluate.grad_cam"), value=True, key="grad_cam", help=t("evaluate.grad_cam_help"))
    st.markdown(t("evaluate.most_confident_mistakes"))
    mistakes = most_confident_mistakes(evaluation, threshold, GALLERY_SIZE)
    if not mistakes:
        st.caption(t("evaluate.no_mistakes"))
    gallery_ui(classifier, evaluation, mistakes, show_heat)
    st.markdown(t("evaluate.least_certain"))
    gallery_ui(classifier, evaluation, least_certain(evaluation, threshold, GALLERY_SIZE), show_heat)


def gallery_ui(classifier, evaluation, indices: list[int], heat: bool) -> None:
    """The photos at these indices with their true label and dog probability, over their Grad-CAM if `heat`."""
    if not indices:
        return
    modified = classifier.path.stat().st_mtime
    images, captions = [], []
    with st.spinner(t("evaluate.working_out")):  # shown only for a wait: a cached gallery is drawn at once
        for i in indices:
            path = evaluation.paths[i]
            images.append(where_it_looked(str(classifier.path), modified, path) if heat else thumbnail(path))
            probability = percent(float(evaluation.dog_probabilities[i]), language())
            truth = CLASS_NAMES[evaluation.labels[i]]
            captions.append(t(f"evaluate.gallery.{truth}", name=Path(path).name, percent=probability))
    st.image(images, caption=captions, width=GALLERY_WIDTH)


@st.cache_data(show_spinner=False, max_entries=512)
def thumbnail(path: str):
    return load_photo(path, max_side=THUMBNAIL_SIDE)


@st.cache_data(show_spinner=False, max_entries=256)
def where_it_looked(model_path: str, modified: float, photo_path: str):
    """The photo with the model's Grad-CAM heatmap over it: computed for the few photos shown, once each."""
    classifier = load_classifier(model_path, modified)
    photo = load_photo(photo_path)  # read once: the model's input and the picture both come from it
    pixels = model_input(photo, classifier.image_size)  # what the evaluation classified
    photo.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return overlay(photo, classifier.heatmap(pixels))


def download_ui(classifiers, evaluations, threshold: float, root: Path, split: str) -> None:
    """Every photo's result at this threshold, for every model scored, as one CSV."""
    rows = [
        row | {"path": str(Path(row["path"]).relative_to(root)), "model": classifier.path.stem}
        for classifier, evaluation in zip(classifiers, evaluations)
        for row in per_photo(evaluation, threshold)
    ]
    st.download_button(
        t("evaluate.download_csv"),
        pd.DataFrame(rows).map(csv_cell).to_csv(index=False),  # a photo named =HYPERLINK(…) stays a name
        f"catdog-evaluation-{root.name}-{split}.csv",
        "text/csv",
        key="download_evaluation",
    )


st.title("📊 " + t("evaluate.title"))
st.write(t("evaluate.intro"))
dataset_column, split_column, compare_column = st.columns([3, 4, 3])  # wide enough for "cats_and_dogs_filtered"
root, split, items = folder_ui(dataset_column, split_column)
classifiers = models_ui(compare_column)
evaluations = evaluate_ui(classifiers, root, split, items)

unreadable = evaluations[0].unreadable  # the same files for every model
if unreadable:
    names = ", ".join(markdown_literal(Path(path).name) for path, _ in unreadable)
    st.warning(t("evaluate.left_out", names=names), icon="⚠️")
if not len(evaluations[0].labels):
    st.warning(t("evaluate.none_readable"))
    st.stop()

threshold = (
    st.slider(
        t("evaluate.threshold"),
        1,
        99,
        round(DOG_THRESHOLD * 100),
        format="%d%%",
        key="threshold",
        help=t("evaluate.threshold_help", threshold=f"{DOG_THRESHOLD:.0%}"),
    )
    / 100
)
shown, cell = shown_cell(classifiers, evaluations, threshold)
columns = st.columns(2, gap="large")  # one model: its scores beside the ROC curve; two: side by side
for index, (column, classifier, evaluation) in enumerate(zip(columns, classifiers, evaluations)):
    with column:
        picked = divmod(cell, len(CLASS_NAMES)) if index == shown else None
        summary_ui(classifier, evaluation, threshold, picked, key=str(index))
chart_column, text_column = (columns[1], columns[1]) if len(classifiers) == 1 else st.columns(2, gap="large")
roc_ui(classifiers, evaluations, threshold, chart_column, text_column)
photos_ui(classifiers, evaluations, threshold)
download_ui(classifiers, evaluations, threshold, root, split)
