"""catdog's languages: one catalogue of whole sentences per language (catdog/locales/), looked up by key.

`translate("classify.title", "zh")` gives the Chinese sentence; named fields are filled with
str.format (`translate("evaluate.mistakes", "en", count=3)`), so word order is the catalogue's,
never the code's. The app, the library's messages and the CLI all read these catalogues.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from catdog.locales import en, zh

LANGUAGES = {"en": "English", "zh": "简体中文"}  # code: its name, in that language (what the picker shows)
DEFAULT_LANGUAGE = "en"
CATALOGUES = {"en": en.STRINGS, "zh": zh.STRINGS}


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **fields) -> str:
    """The sentence `key` in `lang` (English for an unknown language), with its {fields} filled in.

    A key missing in one language falls back to English, so a visitor never meets a crash;
    tests/test_i18n.py fails on it first. A key missing in English raises KeyError.
    """
    catalogue = CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANGUAGE])
    text = catalogue.get(key) or CATALOGUES[DEFAULT_LANGUAGE][key]
    return text.format(**fields) if fields else text


@dataclass(frozen=True)
class Message:
    """A sentence made where its reader's language is not known (the library, a training process), read later in
    any: a catalogue key and its fields. A field may be a Message too ("split.validation" inside a sentence).

    `detail` is what a lower layer said (the OS, Pillow, a web server), in its own English: English readers get
    it in brackets after the sentence, others the sentence alone rather than one with English inside.
    """

    key: str
    fields: dict = field(default_factory=dict)
    detail: str = ""

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        values = {name: v.text(lang) if isinstance(v, Message) else v for name, v in self.fields.items()}
        text = translate(self.key, lang, **values)
        return f"{text} ({self.detail})" if self.detail and lang == DEFAULT_LANGUAGE else text

    @classmethod
    def from_dict(cls, values: dict) -> Message:
        """The Message dataclasses.asdict made: a run record keeps a failure's so any visitor reads it."""
        fields = {name: cls.from_dict(v) if isinstance(v, dict) else v for name, v in values["fields"].items()}
        return cls(values["key"], fields, values.get("detail", ""))


class TranslatedError(Exception):
    """A failure a person can cause, as a Message (`said`): message(lang) for a visitor, str() the English for the
    CLI and logs. A page that keeps it keeps `said`, which holds no traceback."""

    def __init__(self, key: str, detail: str = "", **fields) -> None:
        super().__init__(key)
        self.said = Message(key, fields, detail)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.said.text(lang)

    def __str__(self) -> str:
        return self.message()


def language_from_header(accept_language: str | None) -> str:
    """The language to greet a first visit in, from an Accept-Language header or a browser's locale.

    "zh-CN,zh;q=0.9,en;q=0.8" gives "zh", as do "zh-TW" and "zh-Hans"; the highest q-value among
    the languages the app speaks wins; none of them (or no header) gives English.
    """
    offered = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            offered.append((-quality, position, primary))
    return min(offered)[2] if offered else DEFAULT_LANGUAGE


def language_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """A terminal's language: the first of LC_ALL, LC_MESSAGES and LANG that is set (POSIX's order) names it,
    "zh_CN.UTF-8" giving "zh"; a language the app does not speak, or none, gives English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            primary = environ[name].split(".")[0].split("_")[0].split("-")[0].lower()
            return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def pick_language(from_url: str | None, chosen_before: str | None, browser: str | None) -> str:
    """The language of this page view: the link's ?lang= first (a teacher's shared link), then the
    visitor's earlier choice, then their browser's language, then English. Unknown codes are skipped."""
    for lang in (from_url, chosen_before):
        if lang in LANGUAGES:
            return lang
    return language_from_header(browser)


def catalogue_problems(catalogues: dict[str, dict[str, str]] = CATALOGUES) -> list[str]:
    """What differs between the catalogues: keys missing from one of them, or a sentence whose {fields}
    differ from English's (a translation that drops a number, or names one the code never fills)."""
    reference = catalogues[DEFAULT_LANGUAGE]
    problems = []
    for lang, catalogue in catalogues.items():
        problems += [f"{lang}: no {key!r}" for key in reference.keys() - catalogue.keys()]
        problems += [f"{lang}: {key!r} is not in English" for key in catalogue.keys() - reference.keys()]
        for key in reference.keys() & catalogue.keys():
            if fields_of(catalogue[key]) != fields_of(reference[key]):
                problems.append(
                    f"{lang}: {key!r} has fields {fields_of(catalogue[key])}, English {fields_of(reference[key])}"
                )
    return sorted(problems)


def fields_of(text: str) -> set[str]:
    """The named {fields} of a catalogue sentence."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
