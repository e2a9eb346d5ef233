"""The charts' two styles: in presentation mode every line is thicker and all type larger, on every chart."""

from __future__ import annotations

import pytest

from catdog.charts import (
    NORMAL,
    PRESENT,
    confusion_figure,
    probability_bars_html,
    probability_histogram_figure,
    roc_figure,
    training_figure,
)
from catdog.runs import Epoch

HISTORY = [
    Epoch(epoch, accuracy=0.6 + 0.1 * epoch, loss=0.6, val_accuracy=0.7, val_loss=0.5, phase=phase)
    for epoch, phase in ((1, "head"), (2, "fine-tune"), (3, "fine-tune"))
]
CHARTS = {  # each chart, drawn from small data, in either style
    "training": lambda present: training_figure({"run": HISTORY}, "accuracy", present=present),
    "confusion": lambda present: confusion_figure([[40, 3], [5, 52]], picked=(0, 1), present=present),
    "histogram": lambda present: probability_histogram_figure([0.1, 0.2], [0.8, 0.95], present=present),
    "roc": lambda present: roc_figure({"model": ([0, 0.1, 1], [0, 0.9, 1])}, {"model": (0.1, 0.9)}, present=present),
}


def sizes(spec, kind: str) -> list[float]:
    """Every line width ("line") or font size ("font") a figure sets, in the order its JSON lists them
    (Plotly's own template left out: Streamlit draws charts with its own)."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "template":
                continue
            if kind == "line" and key == "line" and isinstance(value, dict) and "width" in value:
                found.append(value["width"])
            elif kind == "font" and key.endswith("font") and isinstance(value, dict) and "size" in value:
                found.append(value["size"])
            found += sizes(value, kind)
    elif isinstance(spec, list | tuple):
        for item in spec:
            found += sizes(item, kind)
    return found


@pytest.mark.parametrize("chart", list(CHARTS))
def test_presentation_mode_draws_every_line_thicker_and_all_type_larger(chart):
    normal, present = (CHARTS[chart](mode).to_plotly_json() for mode in (False, True))
    for kind, at_least in (("line", 1.8), ("font", 1.4)):
        thin, thick = sizes(normal, kind), sizes(present, kind)
        assert thin and len(thin) == len(thick), (kind, thin, thick)
        assert all(big >= at_least * small for small, big in zip(thin, thick)), (kind, thin, thick)
    assert present["layout"]["height"] > normal["layout"]["height"]


def test_presentation_type_reads_from_the_back_of_a_room_and_normal_type_stays_as_it_was():
    assert PRESENT.tick_size >= 20 and PRESENT.font_size >= 20 and PRESENT.line_width >= 6
    # The probability bars' names and percentages: 20 px, and 32 px in presentation mode, the bars as thick.
    normal, present = (probability_bars_html(0.999, present=mode) for mode in (False, True))
    assert f"font-size:{NORMAL.label_size}px" in normal and NORMAL.label_size == 20 and "height:28px" in normal
    assert f"font-size:{PRESENT.label_size}px" in present and PRESENT.label_size >= 1.5 * NORMAL.label_size
    assert "height:45px" in present and f"border-left:{PRESENT.thin_line_width}px dashed" in present


def test_the_training_curves_are_drawn_thick_and_their_epochs_marked_large_in_presentation_mode():
    training, validation = training_figure({"run": HISTORY}, "loss", present=True).data
    assert validation.line.width == PRESENT.line_width and validation.marker.size == PRESENT.marker_size
    assert training.line.width == PRESENT.thin_line_width and training.line.dash == "dot"
