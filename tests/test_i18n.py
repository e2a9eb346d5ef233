"""Languages: every visible string comes from catdog/locales/, in English and Simplified Chinese.

The catalogues must match (keys and {fields}); every key the code asks for must exist, and every
key must be asked for; each page, drawn in Chinese with its photos, charts and tables, shows no
English word but names; in English, no Chinese. The visitor's language comes from ?lang=, their
earlier choice, or their browser, and stays across pages.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from catdog.i18n import CATALOGUES, catalogue_problems, language_from_header, pick_language, translate

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "catdog").glob("*.py"))]
GROUPS = {key.split(".")[0] for key in CATALOGUES["en"]}  # "classify", "chart", "verdict", …
KEY = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")

# Words that stay as they are in Chinese: names of things a class meets in papers and code.
NAMES = {"catdog", "Grad", "CAM", "MobileNetV2", "MobileNet", "ImageNet", "Keras", "TensorFlow", "CSV", "AUC"}
NAMES |= {"ROC", "Wilson", "convnet", "English", "MB", "v1"}  # MobileNet v1 0.25
NAMES |= {"float32", "bfloat16"}  # number formats, named as TensorFlow names them
# Besides those: code the operator types (`python -m catdog download`), HTML, a style sheet (never shown),
# Plotly's %{x} placeholders, and file, model, layer and run names (a dot, a slash, an underscore or a
# hyphen inside a word).
MARKUP = re.compile(r"<style>.*?</style>|`[^`]*`|<[^>]+>|%\{[^}]*\}", re.DOTALL)
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # catdog.visitor_text.markdown_literal
FILE_NAMES = re.compile(r"\S*[A-Za-z0-9][._/-][A-Za-z0-9]\S*")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
TEXT_FIELDS = {"body", "label", "help", "caption", "text", "placeholder", "options", "content", "display_values"}


# --- the catalogues --------------------------------------------------------------------------------


def test_both_catalogues_have_the_same_keys_and_the_same_fields_in_each_sentence():
    assert catalogue_problems() == []


def test_the_check_finds_a_missing_key_and_a_dropped_field():
    broken = {"en": {"a": "{count} photos", "b": "yes"}, "zh": {"a": "照片"}}
    assert catalogue_problems(broken) == ["zh: 'a' has fields set(), English {'count'}", "zh: no 'b'"]


def _keys_in_source() -> tuple[set[str], list[re.Pattern]]:
    """(the keys the source names as strings, patterns of the keys it builds with f-strings: f"status.{state}")."""
    named, patterns = set(), []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) and id(node) not in in_fstrings else None
            if isinstance(text, str) and KEY.fullmatch(text) and text.split(".")[0] in GROUPS:
                named.add(text)
            head = node.values[0] if isinstance(node, ast.JoinedStr) else None
            if isinstance(head, ast.Constant) and "." in head.value and head.value.split(".")[0] in GROUPS:
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+" for v in node.values]
                patterns.append(re.compile("".join(parts)))
    return named, patterns


def test_every_key_the_code_names_is_in_the_catalogue_and_every_key_is_used():
    named, patterns = _keys_in_source()
    catalogue = set(CATALOGUES["en"])
    assert named - catalogue == set()
    assert [p.pattern for p in patterns if not any(p.fullmatch(key) for key in catalogue)] == []
    unused = {key for key in catalogue - named if not any(p.fullmatch(key) for p in patterns)}
    assert unused == set()


def test_library_messages_speak_both_languages_and_english_is_unchanged():
    from catdog.wording import percent, verdict

    assert [verdict(0.88), verdict(0.54), verdict(0.0004)] == [
        "Dog — 88% sure",
        "Not sure (54% dog)",
        "Cat — over 99% sure",
    ]
    assert [verdict(0.88, "zh"), verdict(0.54, "zh")] == ["狗 — 88% 的把握", "拿不准（是狗的概率 54%）"]
    assert percent(0.999, "zh") == "超过 99%" and percent(0.001, "zh") == "不到 1%"
    assert translate("classify.title", "fr") == "Cat or dog?"  # an unknown language reads English


# --- which language a visitor gets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-TW", "zh"),
        ("zh-Hans-CN", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,zh;q=0.5,en;q=0.3", "zh"),  # French is not offered: the next best is
        ("de-DE,fr;q=0.8", "en"),
        ("zh;q=0,en", "en"),  # q=0: "not this one"
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_browsers_language_picks_english_or_chinese(header, lang):
    assert language_from_header(header) == lang


def test_a_link_beats_an_earlier_choice_which_beats_the_browser():
    assert pick_language("zh", "en", "en-US") == "zh"
    assert pick_language(None, "en", "zh-CN,zh;q=0.9") == "en"
    assert pick_language(None, None, "zh-CN,zh;q=0.9") == "zh"
    assert pick_language("xx", None, None) == "en"


def _open(page: str | None = None, query: dict | None = None, context: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(query or {})
    at.context.update(context or {})
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def test_a_shared_link_with_lang_zh_opens_in_chinese_and_the_choice_stays_across_pages(app_dirs):
    at = _open(query={"lang": "zh"})
    assert not at.exception
    assert at.title[0].value == "🐾 是猫还是狗？"
    assert at.sidebar.selectbox(key="language").value == "zh"
    at.switch_page("pages/train.py").run()
    assert at.title[0].value == "📈 训练卷积网络"
    assert at.query_params["lang"] == "zh"  # the address bar still says it: a copied link shares it


def test_picking_english_in_the_sidebar_switches_and_rewrites_the_link(app_dirs):
    at = _open(query={"lang": "zh"})
    at.sidebar.selectbox(key="language").set_value("en").run()
    assert at.title[0].value == "🐾 Cat or dog?"
    assert at.query_params["lang"] == "en"
    at.switch_page("pages/evaluate.py").run()
    assert at.title[0].value == "📊 Evaluate a model"


def test_a_first_visit_from_a_chinese_browser_is_in_chinese_and_an_english_one_in_english(app_dirs):
    assert _open(context={"locale": "zh-CN"}).title[0].value == "🐾 是猫还是狗？"
    assert _open(context={"locale": "en-GB"}).title[0].value == "🐾 Cat or dog?"
    chinese_browser = _open(context={"locale": "zh-CN"})
    chinese_browser.sidebar.selectbox(key="language").set_value("en").run()
    chinese_browser.run()  # the visitor's choice outlasts their browser's language
    assert chinese_browser.title[0].value == "🐾 Cat or dog?"


# --- every page in Chinese -------------------------------------------------------------------------


def visible_texts(at) -> list[str]:
    """Every string the page draws: text elements, widget labels, help and options, captions, progress
    texts, expander and tab labels, table headers and cells, and the charts' titles, legends and labels."""
    texts = []

    def from_proto(message) -> None:
        for field, value in message.ListFields():
            repeated = hasattr(value, "__len__") and not isinstance(value, (str, bytes))
            for item in value if repeated else [value]:
                if hasattr(item, "ListFields"):
                    from_proto(item)
                elif isinstance(item, str) and field.name in TEXT_FIELDS:
                    texts.append(item)

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            from_proto(proto)
        if getattr(node, "type", None) == "plotly_chart":
            texts.extend(_chart_texts(json.loads(node.proto.spec)))
        if getattr(node, "type", None) == "html":  # its words between tags (not a style's), and a screen reader's
            body = re.sub(r"<style>.*?</style>", "", node.proto.body, flags=re.S)
            texts.extend(re.findall(r">([^<>]+)<", body) + re.findall(r'aria-label="([^"]*)"', body))
        if getattr(node, "type", None) == "dataframe":
            frame = node.value
            texts.extend(str(c) for c in frame.columns)
            texts.extend(str(i) for i in frame.index if not isinstance(i, int))
            texts.extend(v for column in frame.columns for v in frame[column] if isinstance(v, str))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return texts


def _chart_texts(spec) -> list[str]:
    """A Plotly figure's words: titles, trace names, annotations, category labels, cell texts, hover texts."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("text", "name", "hovertemplate") and isinstance(value, str):
                found.append(value)
            elif key in ("x", "y", "text") and isinstance(value, list):
                found.extend(
                    v for row in value for v in (row if isinstance(row, list) else [row]) if isinstance(v, str)
                )
            else:
                found.extend(_chart_texts(value))
    elif isinstance(spec, list):
        for item in spec:
            found.extend(_chart_texts(item))
    return found


def english_words(texts: list[str]) -> list[str]:
    """The strings that hold an English word that is not a name, each with its words."""
    found = []
    for text in texts:
        shown = MARKDOWN_ESCAPE.sub(r"\1", text).replace("\u2060", "")  # as Markdown shows an escaped name
        plain = FILE_NAMES.sub(" ", MARKUP.sub(" ", shown))
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", plain) if w not in NAMES]
        if words:
            found.append(f"{text!r}: {words}")
    return found


def chinese_texts(texts: list[str]) -> list[str]:
    return [text for text in texts if CJK.search(text) and text != "简体中文"]  # the picker names each language


@pytest.fixture
def tiny(app_dirs, tiny_dataset) -> Path:
    link = app_dirs.data / "cats_vs_dogs_small"  # a dataset's name is a name: it stays as it is
    link.symlink_to(tiny_dataset, target_is_directory=True)
    return link


def classify_with_everything(at, shared_data: Path):
    """Two photos with their true labels, every model's verdict, heatmaps and a look inside the first."""
    photos = [("dog.4501.jpg", "dogs"), ("cat.4501.jpg", "cats")]
    at.file_uploader(key="uploads_0").set_value(
        [(name, (shared_data / "test" / folder / name).read_bytes(), "image/jpeg") for name, folder in photos]
    )
    at.run()
    at.button(key="random_sample").click().run()
    at.sidebar.toggle(key="compare_models").set_value(True).run()
    inside = [toggle for toggle in at.toggle if toggle.key.startswith("inside_")]
    inside[0].set_value(True)
    return at.run()


def evaluate_with_everything(at):
    at.selectbox(key="compare_with").select_index(1).run()
    at.button(key="evaluate").click()
    return at.run()


def train_with_everything(at_factory, app_dirs, tiny: Path, lang: str):
    """The Train page with a past run, a run going (one epoch in) and its panel, and the delete question."""
    from catdog import jobs
    from catdog.config import TrainConfig
    from catdog.runs import Epoch, RunRecord, metadata_path, run_title

    past = RunRecord(
        "past-run", TrainConfig(epochs=2, limit_per_class=100), title="cats_vs_dogs_small", status="stopped"
    )
    for epoch, score in ((1, 0.5), (2, 0.52)):
        past.add_epoch(Epoch(epoch, accuracy=0.6, loss=0.6, val_accuracy=score, val_loss=0.7))
    past.save(metadata_path(app_dirs.models / "past-run.keras"))
    config = TrainConfig.transfer("mobilenet", epochs=3)
    title = run_title(tiny, config, datetime.now(), lang)  # as the page names a run it starts
    job = jobs.TrainingJob(config, tiny, app_dirs.models / "going.keras", title=title)
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.EpochEnded(Epoch(1, accuracy=0.6, loss=0.6, val_accuracy=0.7, val_loss=0.6)))
    job.apply(jobs.EpochEnded(Epoch(2, accuracy=0.7, loss=0.5, val_accuracy=0.8, phase="fine-tune")))
    job.apply(jobs.BatchEnded(3, 1, {"accuracy": 0.7, "loss": 0.5}))
    jobs._current = job
    try:
        at = at_factory()
        at.button(key="delete").click().run()
        return at
    finally:
        job.record.status = "stopped"  # its thread never ran: nothing waits for it


def lesson_with_everything(at_factory, app_dirs, tiny: Path, tiny_model, shared_data: Path, lang: str):
    """The Lesson page with steps 1 and 2 finished (their models: the tiny one), step 3 training, and two
    kept photos under the finished models."""
    import shutil

    from catdog import jobs
    from catdog.lesson import LESSON_STEPS
    from catdog.photos import KeptPhoto, load_photo
    from catdog.runs import Epoch, RunRecord, metadata_path

    for step in LESSON_STEPS[:2]:
        record = RunRecord(step.run_name, step.config, status="finished", data=str(tiny.resolve()), seconds=95.0)
        record.add_epoch(Epoch(1, accuracy=0.9, loss=0.3, val_accuracy=0.7, val_loss=0.6))
        record.save(metadata_path(app_dirs.models / f"{step.run_name}.keras"))
        shutil.copyfile(tiny_model[0], app_dirs.models / f"{step.run_name}.keras")
    step = LESSON_STEPS[2]
    job = jobs.TrainingJob(step.config, tiny, app_dirs.models / "going.keras", title=translate(step.title, lang))
    job.apply(jobs.Preparing("features", 10, 36))
    jobs._current = job
    photos = [shared_data / "test" / "dogs" / "dog.4501.jpg", shared_data / "test" / "cats" / "cat.4501.jpg"]
    try:
        at = at_factory()
        at.session_state["kept_photos"] = [KeptPhoto.keep(path.name, load_photo(path)) for path in photos]
        return at.run()
    finally:
        job.record.status = "stopped"  # its thread never ran: nothing waits for it


@pytest.mark.parametrize("page", ["classify", "evaluate", "train", "lesson"])
def test_each_page_in_chinese_shows_no_english_word_and_in_english_no_chinese(
    page, app_dirs, tiny, shared_data, monkeypatch, request
):
    from catdog import jobs

    monkeypatch.setattr(jobs, "_current", None)
    drawn = {}
    for lang in ("zh", "en"):
        opened = lambda lang=lang: _open(f"pages/{page}.py", query={"lang": lang})  # noqa: E731
        if page == "classify":
            at = classify_with_everything(opened(), shared_data)
        elif page == "evaluate":
            at = evaluate_with_everything(opened())
        elif page == "train":
            at = train_with_everything(opened, app_dirs, tiny, lang)
        else:  # the tiny model only for this page: the others need none trained
            model = request.getfixturevalue("tiny_model")
            at = lesson_with_everything(opened, app_dirs, tiny, model, shared_data, lang)
        assert not at.exception, at.exception
        drawn[lang] = visible_texts(at)
    assert len(drawn["zh"]) > 40  # the walk reaches the page's texts, not just its title
    assert english_words(drawn["zh"]) == []
    assert chinese_texts(drawn["en"]) == []


# --- the library's errors ------------------------------------------------------------------------


def _cut_jpeg() -> bytes:
    """The first half of a real JPEG: Pillow reads its header, then fails on the data in its own English."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def _raised(call) -> Exception:
    try:
        call()
    except Exception as error:  # noqa: BLE001 -- the test looks at whichever error it is
        return error
    raise AssertionError(f"{call} raised nothing")


def test_each_error_a_person_can_cause_reads_in_chinese_without_english_and_stays_english_for_the_cli(
    tmp_path, not_a_photo, offline_keras_home, monkeypatch
):
    from catdog import jobs
    from catdog.config import TrainConfig
    from catdog.download import download_dataset
    from catdog.model import load_backbone
    from catdog.photos import load_photo
    from catdog.runs import read_record, run_title
    from catdog.train import train

    config = TrainConfig(epochs=1)
    busy = jobs.TrainingJob(
        config, tmp_path, tmp_path / "busy.keras", title=run_title("my_pets", config, datetime.now(), "zh")
    )
    busy.record.status = "training"
    monkeypatch.setattr(jobs, "_current", busy)
    (tmp_path / "cut.jpg").write_bytes(_cut_jpeg())
    (tmp_path / "empty_data").mkdir()
    errors = {
        "unreadable": _raised(lambda: load_photo(tmp_path / "cut.jpg")),
        "not an image": _raised(lambda: load_photo(not_a_photo(tmp_path / "notes.jpg"))),
        "busy": _raised(lambda: jobs.start_job(config, tmp_path, tmp_path / "models", "second")),
        "fetch": _raised(lambda: download_dataset("http://127.0.0.1:9/x.zip", tmp_path / "data", timeout=5)),
        "weights": _raised(lambda: load_backbone("mobilenet")),
        "dataset": _raised(lambda: train(config, tmp_path / "empty_data", tmp_path / "failed.keras")),
    }
    messages = {kind: error.message("zh") for kind, error in errors.items()}
    messages["run record"] = read_record(tmp_path / "failed.keras").error_message("zh")
    assert english_words(list(messages.values())) == []
    assert all(CJK.search(message) for message in messages.values()), messages
    # What the CLI prints and the logs keep; the busy run's title stays in the language its starter chose.
    english = {kind: str(error) for kind, error in errors.items()}
    assert chinese_texts([text for kind, text in english.items() if kind != "busy"]) == []
    assert "damaged or cut short" in english["unreadable"] and "(" not in english["unreadable"]  # no Pillow words
    assert "(Connection refused)" in english["fetch"]
