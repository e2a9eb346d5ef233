"""Charts for the pages: the dog-probability bars (plain HTML), the training curves and the evaluation charts
(Plotly figures)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import plotly.graph_objects as go

from catdog.config import CLASS_NAMES, DOG_THRESHOLD
from catdog.i18n import DEFAULT_LANGUAGE, translate
from catdog.runs import Epoch
from catdog.visitor_text import plotly_literal
from catdog.wording import is_unsure, percent  # one rounding rule for the chart, the verdict and the table

CAT_COLOUR, DOG_COLOUR, UNSURE_COLOUR = "#1c7ed6", "#e8590c", "#868e96"
LOSER_COLOUR, TEXT_COLOUR = "#ced4da", "#1a1a1a"  # the class not chosen; text readable on a projector
BAR_TRACK_COLOUR = "#f1f3f5"  # where a probability bar would reach at 100%
RUN_COLOURS = ("#e8590c", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#f08c00", "#495057")


@dataclass(frozen=True)
class ChartStyle:
    """How thick a chart's lines are and how large its type: sizes in pixels."""

    line_width: float  # the curves that matter: validation, ROC
    thin_line_width: float  # training curves (dotted), the threshold and other guide lines
    marker_size: float  # a validation curve's epochs, the ROC's point at the threshold
    font_size: int  # axis titles, legends, notes on the chart
    tick_size: int  # the numbers and class names along the axes
    label_size: int  # the probability bar's percentages and class names, the matrix's cells
    title_size: int
    grid_width: float
    grid_colour: str
    height_scale: float  # times each chart's own height


NORMAL = ChartStyle(
    line_width=3,
    thin_line_width=2,
    marker_size=7,
    font_size=13,
    tick_size=14,
    label_size=20,
    title_size=17,
    grid_width=1,
    grid_colour="#e9ecef",
    height_scale=1,
)
# Presentation mode: read from the back of a room, off a projector that washes out thin, pale lines.
PRESENT = ChartStyle(
    line_width=7,
    thin_line_width=4,
    marker_size=14,
    font_size=22,
    tick_size=22,
    label_size=32,
    title_size=28,
    grid_width=2,
    grid_colour="#adb5bd",
    height_scale=1.4,
)


def chart_style(present: bool) -> ChartStyle:
    return PRESENT if present else NORMAL


def _styled(figure: go.Figure, style: ChartStyle, height: int) -> go.Figure:
    """Type, gridlines and height in `style`: what every chart shares."""
    figure.update_xaxes(tickfont_size=style.tick_size, gridwidth=style.grid_width, gridcolor=style.grid_colour)
    figure.update_yaxes(tickfont_size=style.tick_size, gridwidth=style.grid_width, gridcolor=style.grid_colour)
    figure.update_layout(
        height=round(height * style.height_scale),
        font={"size": style.font_size, "color": TEXT_COLOUR},
        legend_font_size=style.font_size,  # Streamlit's theme sets its own, smaller
        title_font_size=style.title_size,
    )
    return figure


def probability_bars_html(dog_probability: float, lang: str = DEFAULT_LANGUAGE, present: bool = False) -> str:
    """Two bars, cat and dog, each as long as its probability, so every verdict has a visible bar: plain HTML.

    Plain HTML rather than a Plotly figure: Plotly's script cost every browser 1.3-1.6 s of script and
    2.7 CPU s in all to draw one verdict's bar, against 0.35 s for a bare app's whole verdict (Chromium,
    2 cores), which a class of phones on one server, or one old phone, feels. The percentages sit past the
    bars' end, where neither a bar nor the dashed 50% line can cut through them; type is large and dark
    enough for a projector. Every word is the catalogue's, escaped all the same.
    """
    style = chart_style(present)
    unsure = is_unsure(dog_probability)
    said_dog = dog_probability >= DOG_THRESHOLD
    colours = (
        UNSURE_COLOUR if unsure else (CAT_COLOUR if not said_dog else LOSER_COLOUR),
        UNSURE_COLOUR if unsure else (DOG_COLOUR if said_dog else LOSER_COLOUR),
    )
    values = (1 - dog_probability, dog_probability)
    names = [html.escape(translate(f"chart.{name}", lang)) for name in CLASS_NAMES]
    shown = [html.escape(percent(value, lang)) for value in values]
    thickness = round(style.label_size * 1.4)
    rows = "".join(
        f'<span class="catdog-bar-name">{name}</span>'
        f'<div style="position:relative;height:{thickness}px;background:{BAR_TRACK_COLOUR};border-radius:3px">'
        f'<div class="catdog-bar" data-value="{value:.6f}" style="width:{100 * value:.2f}%;height:100%;'
        f'background:{colour};border-radius:3px"></div>'
        f'<div style="position:absolute;left:{100 * DOG_THRESHOLD:g}%;top:-4px;bottom:-4px;'
        f'border-left:{style.thin_line_width}px dashed {TEXT_COLOUR}"></div></div>'
        f'<b class="catdog-bar-percent">{words}</b>'
        for name, value, colour, words in zip(names, values, colours, shown)
    )
    label = html.escape(", ".join(f"{name} {words}" for name, words in zip(names, shown)), quote=True)
    return (
        f'<div class="catdog-bars" role="img" aria-label="{label}" style="display:grid;'
        f"grid-template-columns:max-content minmax(0,1fr) max-content;gap:8px 12px;align-items:center;"
        f'font-size:{style.label_size}px;line-height:1.2;color:{TEXT_COLOUR};margin:4px 0 12px">{rows}</div>'
    )


def training_figure(
    histories: dict[str, list[Epoch]],
    metric: str,
    batch_points: list[Epoch] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    present: bool = False,
    colours: list[str] | None = None,
) -> go.Figure:
    """Training (dotted) and validation (solid) curves of `metric` ("accuracy" or "loss") per run.

    `histories` maps a run's name to its run record's history (one Epoch per epoch, with
    <metric> and val_<metric>). `batch_points` (a fractional epoch and <metric> per batch) draw
    the first run's training curve batch by batch while it trains. A pretrained run's switch
    from training the head to fine-tuning is marked. `colours`, one per run, keeps a run's colour
    from chart to chart (RUN_COLOURS in turn without it).
    """
    style = chart_style(present)
    palette = colours or RUN_COLOURS
    figure = go.Figure()
    lowest = 0.4  # accuracy axis: from 40% (or lower, if a run went there) to 100%
    for i, (name, history) in enumerate(histories.items()):
        colour, name = palette[i % len(palette)], plotly_literal(name)  # a run's name as its visitor typed it
        points = (batch_points if i == 0 and batch_points else None) or history
        train_points = [point for point in points if getattr(point, metric) is not None]
        figure.add_scatter(
            x=[point.epoch for point in train_points],
            y=[getattr(point, metric) for point in train_points],
            name=translate("chart.training_curve", lang, run=name),
            mode="lines",
            line={"color": colour, "dash": "dot", "width": style.thin_line_width},
        )
        epochs = [entry for entry in history if getattr(entry, f"val_{metric}") is not None]
        figure.add_scatter(
            x=[entry.epoch for entry in epochs],
            y=[getattr(entry, f"val_{metric}") for entry in epochs],
            name=translate("chart.validation_curve", lang, run=name),
            mode="lines+markers",
            line={"color": colour, "width": style.line_width},
            marker={"size": style.marker_size},
        )
        lowest = min([lowest] + [y for trace in figure.data[-2:] for y in trace.y])
        fine_tuned = [entry.epoch for entry in history if entry.phase == "fine-tune"]
        if fine_tuned and fine_tuned[0] > 1:
            figure.add_vline(
                x=fine_tuned[0] - 1,
                line_dash="dash",
                line_width=style.thin_line_width,
                line_color=colour,
                annotation_text=translate("chart.fine_tuning_starts", lang),
                annotation_position="top left",
            )
    figure.update_xaxes(title_text=translate("chart.epoch", lang), rangemode="tozero")
    figure.update_yaxes(
        title_text=translate(f"chart.{metric}", lang),
        **({"range": [lowest - 0.02, 1.01], "tickformat": ".0%"} if metric == "accuracy" else {"rangemode": "tozero"}),
    )
    _styled(figure, style, height=360)
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": round(40 * style.title_size / NORMAL.title_size), "b": 10},
        title=translate(f"chart.{metric}_title", lang),
        # At the figure's foot, not a fraction of the plot below it: a legend of many runs, stacked in a narrow
        # column, would otherwise rise into the axis title.
        legend={"orientation": "h", "yanchor": "bottom", "y": 0, "yref": "container"},
    )
    return figure


def confusion_figure(
    counts: list[list[int]], picked: tuple[int, int] | None = None, lang: str = DEFAULT_LANGUAGE, present: bool = False
) -> go.Figure:
    """The confusion matrix as a heatmap: rows the true class, columns the answer, each cell's count and row share.

    Colour is the share of the row, so a class with fewer photos reads the same; `picked`
    (true label, said label) outlines the cell whose photos are shown.
    """
    style = chart_style(present)
    totals = [max(1, sum(row)) for row in counts]
    shares = [[count / total for count in row] for row, total in zip(counts, totals)]
    text = [
        [
            translate(f"chart.share_of_{name}s", lang, count=count, share=f"{share:.0%}")
            for count, share in zip(row, share_row)
        ]
        for row, share_row, name in zip(counts, shares, CLASS_NAMES)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=shares,
            x=[translate(f"chart.said_{name}", lang) for name in CLASS_NAMES],
            y=[translate(f"chart.true_{name}", lang) for name in CLASS_NAMES],
            text=text,
            texttemplate="%{text}",
            textfont={"size": round(style.label_size * 0.8)},
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
            line={"color": TEXT_COLOUR, "width": 2 * style.thin_line_width},
        )
    _styled(figure, style, height=260)
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(side="top")
    figure.update_layout(margin={"l": 10, "r": 10, "t": round(40 * style.tick_size / NORMAL.tick_size), "b": 10})
    return figure


def probability_histogram_figure(
    cats: list[float],
    dogs: list[float],
    threshold: float = DOG_THRESHOLD,
    lang: str = DEFAULT_LANGUAGE,
    present: bool = False,
) -> go.Figure:
    """How many true cats and true dogs got each dog probability, with the threshold marked.

    A log scale: with a good model nearly every photo sits at 0% or 100%, and the few in
    between, the ones that matter, would otherwise be too short to see.
    """
    style = chart_style(present)
    figure = go.Figure()
    for key, values, colour in (("chart.true_cats", cats, CAT_COLOUR), ("chart.true_dogs", dogs, DOG_COLOUR)):
        name = translate(key, lang)
        figure.add_histogram(
            x=values,
            name=name,
            marker_color=colour,
            opacity=0.65,
            xbins={"start": 0, "end": 1.0001, "size": 0.05},
            hovertemplate=translate("chart.histogram_hover", lang, name=name) + "<extra></extra>",
        )
    figure.add_vline(x=threshold, line_dash="dash", line_width=style.thin_line_width, line_color=TEXT_COLOUR)
    _styled(figure, style, height=280)
    figure.update_xaxes(range=[0, 1], tickformat=".0%", title_text=translate("chart.dog_probability", lang))
    figure.update_yaxes(
        type="log", dtick=1, title_text=translate("chart.photos_log_scale", lang)
    )  # ticks at 1, 10, 100
    figure.update_layout(
        barmode="overlay",
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return figure


def roc_figure(
    curves: dict[str, tuple[list[float], list[float]]],
    marks: dict[str, tuple[float, float]],
    lang: str = DEFAULT_LANGUAGE,
    present: bool = False,
) -> go.Figure:
    """ROC curves, one per model name: (false positive rates, true positive rates), each with its
    point at the current threshold (`marks`), and the diagonal a coin toss would draw."""
    style = chart_style(present)
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name=translate("chart.coin_toss", lang),
        line={"color": UNSURE_COLOUR, "dash": "dot", "width": style.thin_line_width},
    )
    colours = {name: RUN_COLOURS[i % len(RUN_COLOURS)] for i, name in enumerate(curves)}
    for name, (false_positive_rates, true_positive_rates) in curves.items():
        figure.add_scatter(
            x=false_positive_rates,
            y=true_positive_rates,
            mode="lines",
            name=plotly_literal(name),  # a model's name, which may be a run's as its visitor typed it
            line={"color": colours[name], "width": style.line_width},
        )
    for i, (name, (x, y)) in enumerate(marks.items()):  # after the curves: drawn over them, last in the legend
        figure.add_scatter(
            x=[x],
            y=[y],
            mode="markers",
            marker={
                "color": colours[name],
                "size": 2 * style.marker_size,
                "line": {"color": TEXT_COLOUR, "width": style.thin_line_width},
            },
            name=translate("chart.at_the_threshold", lang),
            showlegend=i == 0,
            hovertemplate=translate("chart.roc_hover", lang, name=plotly_literal(name)) + "<extra></extra>",
        )
    _styled(figure, style, height=380)
    figure.update_xaxes(range=[-0.01, 1.01], tickformat=".0%", title_text=translate("chart.false_positive_rate", lang))
    figure.update_yaxes(range=[-0.01, 1.01], tickformat=".0%", title_text=translate("chart.true_positive_rate", lang))
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 2 * style.marker_size, "b": 10},  # the mark at 100% is not cut
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return figure
