"""Plotly figures for the pages: the dog-probability bar and the training curves."""

from __future__ import annotations

import plotly.graph_objects as go

from catdog.config import DOG_THRESHOLD, UNSURE_BAND

CAT_COLOUR, DOG_COLOUR, UNSURE_COLOUR = "#1c7ed6", "#e8590c", "#868e96"
RUN_COLOURS = ("#e8590c", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#f08c00", "#495057")


def probability_figure(dog_probability: float) -> go.Figure:
    """One horizontal bar from cat (0%) to dog (100%), with the 50% decision line marked."""
    low, high = UNSURE_BAND
    if low < dog_probability < high:
        colour = UNSURE_COLOUR
    else:
        colour = DOG_COLOUR if dog_probability >= DOG_THRESHOLD else CAT_COLOUR
    figure = go.Figure(
        go.Bar(
            x=[dog_probability],
            y=["dog probability"],
            orientation="h",
            marker_color=colour,
            text=[f"{dog_probability:.1%} dog"],
            textposition="auto",
            hoverinfo="skip",
        )
    )
    figure.add_vline(x=DOG_THRESHOLD, line_dash="dash", line_width=2, line_color="#212529")
    figure.update_xaxes(
        range=[-0.01, 1.01], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1], title_text="← cat          dog →"
    )
    figure.update_yaxes(showticklabels=False)
    figure.update_layout(height=150, margin={"l": 20, "r": 30, "t": 10, "b": 40}, showlegend=False)
    return figure


def training_figure(histories: dict[str, list[dict]], metric: str, batch_points: list[dict] | None = None) -> go.Figure:
    """Training (dotted) and validation (solid) curves of `metric` ("accuracy" or "loss") per run.

    `histories` maps a run's name to its run record's history (one entry per epoch, with
    <metric> and val_<metric>). `batch_points` (a fractional "epoch" and <metric> per batch) draw
    the first run's training curve batch by batch while it trains. A pretrained run's switch
    from training the head to fine-tuning is marked.
    """
    figure = go.Figure()
    lowest = 0.4  # accuracy axis: from 40% (or lower, if a run went there) to 100%
    for i, (name, history) in enumerate(histories.items()):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        train_points = (batch_points if i == 0 and batch_points else None) or history
        figure.add_scatter(
            x=[r["epoch"] for r in train_points if metric in r],
            y=[r[metric] for r in train_points if metric in r],
            name=f"{name} · training",
            mode="lines",
            line={"color": colour, "dash": "dot", "width": 2},
        )
        epochs = [r for r in history if f"val_{metric}" in r]
        figure.add_scatter(
            x=[r["epoch"] for r in epochs],
            y=[r[f"val_{metric}"] for r in epochs],
            name=f"{name} · validation",
            mode="lines+markers",
            line={"color": colour, "width": 3},
        )
        lowest = min([lowest] + [y for trace in figure.data[-2:] for y in trace.y])
        fine_tuned = [r["epoch"] for r in history if r.get("phase") == "fine-tune"]
        if fine_tuned and fine_tuned[0] > 1:
            figure.add_vline(
                x=fine_tuned[0] - 1,
                line_dash="dash",
                line_color=colour,
                annotation_text="fine-tuning starts",
                annotation_position="top left",
            )
    figure.update_xaxes(title_text="epoch", rangemode="tozero")
    figure.update_yaxes(
        title_text=metric, **({"range": [lowest - 0.02, 1.01]} if metric == "accuracy" else {"rangemode": "tozero"})
    )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title=metric.capitalize(),
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return figure
