"""Plotly figures for the pages: the dog-probability bar, the training curves and the evaluation charts."""

from __future__ import annotations

import plotly.graph_objects as go

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, UNSURE_BAND

CAT_COLOUR, DOG_COLOUR, UNSURE_COLOUR = "#1c7ed6", "#e8590c", "#868e96"
LOSER_COLOUR, TEXT_COLOUR = "#ced4da", "#1a1a1a"  # the class not chosen; text readable on a projector
RUN_COLOURS = ("#e8590c", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#f08c00", "#495057")


def probability_figure(dog_probability: float) -> go.Figure:
    """Two bars, cat and dog, each as long as its probability, so every verdict has a visible bar.

    The percentages sit in the right margin, past the axis, where neither a bar nor the dashed
    50% line can cut through them; type is large and dark enough for a projector.
    """
    from catdog.predict import percent  # one rounding rule for the chart, the verdict and the table

    low, high = UNSURE_BAND
    unsure = low < dog_probability < high
    said_dog = dog_probability >= DOG_THRESHOLD
    colours = [
        UNSURE_COLOUR if unsure else (CAT_COLOUR if not said_dog else LOSER_COLOUR),
        UNSURE_COLOUR if unsure else (DOG_COLOUR if said_dog else LOSER_COLOUR),
    ]
    values = [1 - dog_probability, dog_probability]
    rows = ["cat", "dog"]
    figure = go.Figure(go.Bar(x=values, y=rows, orientation="h", marker_color=colours, hoverinfo="skip"))
    for row, value in zip(rows, values):
        figure.add_annotation(
            x=1,
            xref="paper",
            xanchor="left",
            xshift=10,
            y=row,
            text=f"<b>{percent(value)}</b>",
            showarrow=False,
            font={"size": 20, "color": TEXT_COLOUR},
        )
    figure.add_vline(x=DOG_THRESHOLD, line_dash="dash", line_width=2, line_color=TEXT_COLOUR)
    figure.update_xaxes(
        range=[0, 1], tickformat=".0%", tickvals=[0, 0.5, 1], tickfont={"size": 14, "color": TEXT_COLOUR}
    )
    figure.update_yaxes(autorange="reversed", tickfont={"size": 20, "color": TEXT_COLOUR})
    figure.update_layout(height=140, margin={"l": 10, "r": 105, "t": 10, "b": 30}, showlegend=False, bargap=0.25)
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
        title_text=metric,
        **({"range": [lowest - 0.02, 1.01], "tickformat": ".0%"} if metric == "accuracy" else {"rangemode": "tozero"}),
    )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title=metric.capitalize(),
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return figure


def confusion_figure(counts: list[list[int]], picked: tuple[int, int] | None = None) -> go.Figure:
    """The confusion matrix as a heatmap: rows the true class, columns the answer, each cell's count and row share.

    Colour is the share of the row, so a class with fewer photos reads the same; `picked`
    (true label, said label) outlines the cell whose photos are shown.
    """
    totals = [max(1, sum(row)) for row in counts]
    shares = [[count / total for count in row] for row, total in zip(counts, totals)]
    text = [
        [f"<b>{count}</b><br>{share:.0%} of {name}s" for count, share in zip(row, share_row)]
        for row, share_row, name in zip(counts, shares, CLASS_NAMES)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=shares,
            x=[f"said {name}" for name in CLASS_NAMES],
            y=[f"true {name}" for name in CLASS_NAMES],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 16},
            colorscale=[[0, "#f1f3f5"], [1, "#2b8a3e"]],
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
        )
    )
    if picked is not None:
        true_label, said_label = picked
        figure.add_shape(
            type="rect",
            x0=said_label - 0.5,
            x1=said_label + 0.5,
            y0=true_label - 0.5,
            y1=true_label + 0.5,
            line={"color": TEXT_COLOUR, "width": 4},
        )
    figure.update_yaxes(autorange="reversed", tickfont={"size": 14})
    figure.update_xaxes(side="top", tickfont={"size": 14})
    figure.update_layout(height=260, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def probability_histogram_figure(cats: list[float], dogs: list[float], threshold: float = DOG_THRESHOLD) -> go.Figure:
    """How many true cats and true dogs got each dog probability, with the threshold marked.

    A log scale: with a good model nearly every photo sits at 0% or 100%, and the few in
    between, the ones that matter, would otherwise be too short to see.
    """
    figure = go.Figure()
    for name, values, colour in (("true cats", cats, CAT_COLOUR), ("true dogs", dogs, DOG_COLOUR)):
        figure.add_histogram(
            x=values,
            name=name,
            marker_color=colour,
            opacity=0.65,
            xbins={"start": 0, "end": 1.0001, "size": 0.05},
            hovertemplate=f"{name}: %{{y}} photos at %{{x}}<extra></extra>",
        )
    figure.add_vline(x=threshold, line_dash="dash", line_width=2, line_color=TEXT_COLOUR)
    figure.update_xaxes(range=[0, 1], tickformat=".0%", title_text="dog probability")
    figure.update_yaxes(type="log", dtick=1, title_text="photos (log scale)")  # ticks at 1, 10, 100
    figure.update_layout(
        barmode="overlay",
        height=280,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return figure


def roc_figure(curves: dict[str, tuple[list[float], list[float]]], marks: dict[str, tuple[float, float]]) -> go.Figure:
    """ROC curves, one per model name: (false positive rates, true positive rates), each with its
    point at the current threshold (`marks`), and the diagonal a coin toss would draw."""
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="a coin toss", line={"color": UNSURE_COLOUR, "dash": "dot"}
    )
    colours = {name: RUN_COLOURS[i % len(RUN_COLOURS)] for i, name in enumerate(curves)}
    for name, (false_positive_rates, true_positive_rates) in curves.items():
        figure.add_scatter(
            x=false_positive_rates,
            y=true_positive_rates,
            mode="lines",
            name=name,
            line={"color": colours[name], "width": 3},
        )
    for i, (name, (x, y)) in enumerate(marks.items()):  # after the curves: drawn over them, last in the legend
        figure.add_scatter(
            x=[x],
            y=[y],
            mode="markers",
            marker={"color": colours[name], "size": 13, "line": {"color": TEXT_COLOUR, "width": 2}},
            name="at the threshold",
            showlegend=i == 0,
            hovertemplate=f"{name}: %{{x:.1%}} of cats and %{{y:.1%}} of dogs said dog<extra></extra>",
        )
    figure.update_xaxes(range=[-0.01, 1.01], tickformat=".0%", title_text="cats said dog (false positive rate)")
    figure.update_yaxes(range=[-0.01, 1.01], tickformat=".0%", title_text="dogs said dog (true positive rate)")
    figure.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return figure
