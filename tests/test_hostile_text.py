"""Hostile text: what a visitor types or names (a run, a photo's file) stays text for every other visitor, the CSV
opens in a spreadsheet without formulas, and a visitor never reads a server path or a process id.

Markdown is checked by rendering it with markdown-it (CommonMark, which Streamlit's Markdown follows).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from catdog import jobs
from catdog.charts import roc_figure, training_figure
from catdog.config import TrainConfig
from catdog.data import DatasetError, find_dataset
from catdog.runs import Epoch, RunRecord, metadata_path
from catdog.visitor_text import FORMULA_STARTS, WORD_JOINER, csv_cell, markdown_literal

HOSTILE_NAME = "[click me](https://example.com/phish) ![t](http://127.0.0.1:9/track.png) __big__"
MORE_HOSTILE = [
    HOSTILE_NAME,
    "<img src=x onerror=alert(1)> <a href='https://example.com'>hi</a> &amp; &#60;b&#62;",
    "# heading\n- item\n> quote `code` *em* ~~gone~~ $x^2$ :red[colour] :material/home: | a | b |",
    "back\\slash\\[ends with a backslash\\",
    "1. numbered <https://example.com/auto> www.example.com https://example.com/bare me@example.com",
    "    an indented code block, or a heading\n===",
]
TRAIN_PAGE = "pages/train.py"


def rendered(markdown: str) -> str:
    """The HTML CommonMark (with GitHub's tables and strikethrough) makes of `markdown`."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


@pytest.mark.parametrize("name", MORE_HOSTILE)
def test_a_hostile_name_renders_as_its_own_characters_and_nothing_else(name):
    html = rendered(markdown_literal(name))
    for tag in ("<a", "<img", "<strong", "<em", "<h1", "<li", "<blockquote", "<code", "<s>", "<del", "<table"):
        assert tag not in html, html
    # GitHub's Markdown links bare addresses, which CommonMark leaves as text: they must not be there to link.
    assert not re.search(r"://|www\.|\w@\w", html), html
    # One paragraph holding exactly the name (its line breaks as spaces, invisible joiners aside), as text.
    flat = " ".join(name.splitlines()).strip()
    expected = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert html.replace(WORD_JOINER, "") == f"<p>{expected}</p>\n"


def test_a_hostile_run_name_in_a_chart_legend_stays_text():
    history = [Epoch(1, accuracy=0.6, loss=0.6, val_accuracy=0.7, val_loss=0.5)]
    evil = "<a href='https://example.com/phish'>click</a>"
    names = [trace.name for trace in training_figure({evil: history}, "accuracy").data]
    assert names and all("<a" not in name and "&lt;a href" in name for name in names)
    roc = roc_figure({evil: ([0.0, 1.0], [0.0, 1.0])}, {evil: (0.5, 0.5)})
    assert all("<a" not in (trace.name or "") + (trace.hovertemplate or "") for trace in roc.data)


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_csv_cell_that_a_spreadsheet_would_read_as_a_formula_starts_with_an_apostrophe(start):
    name = f'{start}HYPERLINK("https://example.com/phish","x").jpg'
    table = pd.DataFrame({"path": [name, "cat.1.jpg"], "dog probability": [-0.5, 0.25], "correct": [True, False]})
    rows = list(csv.reader(io.StringIO(table.map(csv_cell).to_csv(index=False))))
    assert rows[1][0] == "'" + name and rows[2][0] == "cat.1.jpg"
    assert rows[1][1:] == ["-0.5", "True"]  # numbers stay numbers: only text is a formula


def test_the_evaluate_pages_csv_neutralises_photo_names_that_look_like_formulas(tmp_path):
    from catdog.evaluation import Evaluation, per_photo

    names = ["=HYPERLINK(x).jpg", "+cmd.jpg", "-2+3.jpg", "@SUM(1+1).jpg"]
    paths = [str(tmp_path / name) for name in names]
    evaluation = Evaluation(paths, np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8], np.float32), [])
    rows = [row | {"path": Path(row["path"]).name} for row in per_photo(evaluation)]
    cells = [row[0] for row in csv.reader(io.StringIO(pd.DataFrame(rows).map(csv_cell).to_csv(index=False)))]
    assert cells[1:] == ["'" + name for name in names]


def test_a_dataset_error_names_the_dataset_and_keeps_its_path_for_the_log(tmp_path):
    gone = tmp_path / "srv" / "data" / "pets"
    with pytest.raises(DatasetError) as raised:
        find_dataset(gone)
    for lang in ("en", "zh"):
        said = raised.value.message(lang)
        assert "pets" in said and str(tmp_path) not in said
    assert str(gone) in str(raised.value)  # the CLI's traceback and the server's log


# --- the Train page, seen by a second visitor ---------------------------------------------------------


def hostile_job(app_dirs, owner: str) -> jobs.TrainingJob:
    """A run going on the server, started by `owner` and named HOSTILE_NAME (its thread never runs)."""
    job = jobs.TrainingJob(TrainConfig(epochs=3), app_dirs.data, app_dirs.models / "going.keras", owner, HOSTILE_NAME)
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    return job


def test_a_run_named_in_markdown_reads_as_its_name_for_another_visitor(open_app, app_dirs, tiny_dataset, monkeypatch):
    (app_dirs.data / "tiny").symlink_to(tiny_dataset, target_is_directory=True)
    job = hostile_job(app_dirs, owner="first-visitor")
    monkeypatch.setattr(jobs, "_current", job)
    try:
        at = open_app(TRAIN_PAGE)  # a new session: the second visitor
        assert not at.exception
        headings = [h.value for h in at.subheader if "click me" in h.value]
        assert len(headings) == 1
        assert rendered(headings[0]) == rendered(markdown_literal(f"Run “{HOSTILE_NAME}”"))
        assert "<a" not in rendered(headings[0]) and "<img" not in rendered(headings[0])
        assert [b for b in at.button if b.key == "stop"][0].disabled  # nor may they stop it
    finally:
        job.record.status = "stopped"


def test_another_visitors_run_is_not_theirs_to_delete(open_app, app_dirs, tiny_dataset, monkeypatch):
    (app_dirs.data / "tiny").symlink_to(tiny_dataset, target_is_directory=True)
    for name in ("theirs", "from-the-command-line"):
        record = RunRecord(name, TrainConfig(epochs=1), title=f"{name} {HOSTILE_NAME}", status="finished")
        record.save(metadata_path(app_dirs.models / f"{name}.keras"))
    monkeypatch.setitem(jobs._starters, "theirs", "first-visitor")  # started from the Train page by them

    second = open_app(TRAIN_PAGE)
    assert second.selectbox(key="delete_choice").options == [f"from-the-command-line {HOSTILE_NAME}"]

    first = open_app(TRAIN_PAGE)
    first.session_state["visitor"] = "first-visitor"
    first.run()
    choice = first.selectbox(key="delete_choice")
    assert sorted(choice.options) == sorted(f"{name} {HOSTILE_NAME}" for name in ("theirs", "from-the-command-line"))
    choice.set_value("theirs").run()
    [b for b in first.button if b.key == "delete"][0].click().run()
    question = [w.value for w in first.warning]
    assert len(question) == 1 and "<a" not in rendered(question[0]) and "<img" not in rendered(question[0])
    asked = markdown_literal(f"Delete “theirs {HOSTILE_NAME}” and its model for good?")
    assert rendered(question[0]) == rendered(asked)
