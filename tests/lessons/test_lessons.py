"""Lesson files: the shipped ones load and link to real pages and settings; malformed files
give a message naming the file and the field; checks; the numbers file; the glossary."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from genodash.errors import InputError
from genodash.lessons import (
    NUMBERS,
    SHIPPED_DIR,
    TEMPLATE,
    Check,
    Published,
    check_rows,
    evaluate,
    glossary,
    load_lessons,
    parse_lesson,
    parse_step_tag,
    read_results,
    shipped_lessons,
    step_tag,
    term_anchor,
    workspace_folders,
    write_results,
)

PAGES = ["app.py", *(p.relative_to(ROOT).as_posix() for p in sorted(ROOT.glob("pages/*.py")))]
GOOD = """\
title: A lesson
summary: What it teaches.
order: 3
steps:
  - question: What share?
    page: pages/2_Curse_of_dimensionality.py
    settings: {demo: sparsity, sparsity-top: 10, fp-n: [100, 250]}
    look_for: The plot.
    check:
      number: sparsity-share-10d
      expected: [0.0, 0.05]
      inside: Empty space.
      outside: Check the settings.
  - question: Just look?
    page: app.py
    look_for: The map.
"""


def parse(text: str):
    return parse_lesson(text, name="lesson-2.yaml", pages=PAGES)


def test_a_good_lesson_parses_with_its_link():
    lesson = parse(GOOD)
    assert (lesson.key, lesson.title, lesson.order) == ("lesson-2", "A lesson", 3)
    first, second = lesson.steps
    assert first.url == ("Curse_of_dimensionality?demo=sparsity&sparsity-top=10&fp-n=100%2C250")
    assert first.check == Check(
        "sparsity-share-10d", 0.0, 0.05, "Empty space.", "Check the settings."
    )
    assert second.check is None and second.url == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace("[0.0, 0.05]", "[0.9, 0.1]"),
            "lesson-2.yaml: step 1.check.expected: two numbers low ≤ high, got [0.9, 0.1]",
        ),
        (
            lambda t: t.replace("[0.0, 0.05]", "[0.1]"),
            "lesson-2.yaml: step 1.check.expected: two numbers low ≤ high, got [0.1]",
        ),
        (
            lambda t: t.replace("[0.0, 0.05]", "[a, 1]"),
            'lesson-2.yaml: step 1.check.expected: two numbers low ≤ high, got ["a", 1]',
        ),
        (lambda t: t.replace("title: A lesson\n", ""), "lesson-2.yaml: title: missing"),
        (
            lambda t: t.replace("order: 3", "order: first"),
            'lesson-2.yaml: order: a whole number, got "first"',
        ),
        (
            lambda t: t.replace("    look_for: The map.\n", ""),
            "lesson-2.yaml: step 2.look_for: missing",
        ),
        (
            lambda t: t.replace("    look_for: The map.", "    look_for: The map.\n    hint: x"),
            "lesson-2.yaml: step 2.hint: unknown field (known: question, page, settings, "
            "look_for, check)",
        ),
        (
            lambda t: t.replace("page: app.py", "page: pages/99_Nowhere.py"),
            'lesson-2.yaml: step 2.page: no such page "pages/99_Nowhere.py"',
        ),
        (
            lambda t: t.replace("number: sparsity-share-10d", "number: p-value"),
            'lesson-2.yaml: step 1.check.number: no published number "p-value"',
        ),
        (
            lambda t: t.replace("      inside: Empty space.\n", ""),
            "lesson-2.yaml: step 1.check.inside: missing",
        ),
        (
            lambda t: t.replace("{demo: sparsity, sparsity-top: 10, fp-n: [100, 250]}", "[1, 2]"),
            "lesson-2.yaml: step 1.settings: a mapping of names to values, got [1, 2]",
        ),
        (
            lambda t: t.replace("sparsity-top: 10", "sparsity-top: {a: 1}"),
            "lesson-2.yaml: step 1.settings: a setting is a name and a value",
        ),
        (lambda t: t.split("steps:")[0] + "steps: []\n", "lesson-2.yaml: steps: a lesson needs"),
        (lambda t: "- just\n- a list\n", "lesson-2.yaml: expected fields title, summary"),
        (
            lambda t: t.replace("title: A lesson", "title: [unclosed"),
            "lesson-2.yaml: line 2, column 8: not valid YAML",
        ),
    ],
)
def test_a_malformed_lesson_names_the_file_and_the_field(change, message):
    with pytest.raises(InputError) as caught:
        parse(change(GOOD))
    assert str(caught.value).startswith(message)


def test_the_teachers_template_is_a_good_lesson():
    lesson = parse_lesson(TEMPLATE, name="mine.yaml", pages=PAGES)
    assert lesson.steps[0].check.number in NUMBERS


def test_yaml_is_read_safely():
    with pytest.raises(InputError, match="not valid YAML"):
        parse("!!python/object/apply:os.system ['echo no']\n")


def test_load_lessons_keeps_the_good_ones_and_reports_the_bad(tmp_path):
    (tmp_path / "mine.yaml").write_text(GOOD.replace("order: 3", "order: 0"))
    (tmp_path / "broken.yaml").write_text(GOOD.replace("[0.0, 0.05]", "[0.9, 0.1]"))
    (tmp_path / "notes.txt").write_text("not a lesson")
    found, errors = load_lessons([SHIPPED_DIR, tmp_path, tmp_path / "missing"], pages=PAGES)
    assert found[0].key == "mine"  # order 0 comes before the shipped lessons
    assert {lesson.key for lesson in found} >= {"mine", "1-curse-of-dimensionality"}
    assert [str(e) for e in errors] == [
        "broken.yaml: step 1.check.expected: two numbers low ≤ high, got [0.9, 0.1]"
    ]


# --- the shipped lessons ------------------------------------------------------------------------


def widget_keys() -> set[str]:
    """Every setting key the pages and ui modules name literally (``key=``, ``setting(``,
    the curse widgets' second argument), and the prefixes of f-string keys."""
    text = "\n".join(p.read_text() for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")])
    literal = re.findall(r"""(?:setting\(|key=|\(\s*"[^"]*",\s*)f?"([a-z{][\w{}.-]*)""", text)
    return set(literal)


def known_setting(key: str, keys: set[str]) -> bool:
    if key in {"data", "demo"} or key.startswith("data."):
        return True
    # an f-string key's placeholders match any word; one without 4 letters of its own
    # (``{key}``) says nothing and is left out
    patterns = [
        re.escape(k).replace(r"\{", "{").replace(r"\}", "}")
        for k in keys
        if len(re.sub(r"\{[^}]*\}", "", k)) >= 4
    ]
    return any(re.fullmatch(re.sub(r"\{[^}]*\}", r"[\\w-]+", p), key) for p in patterns)


def test_every_shipped_lesson_loads_in_course_order_with_real_pages_and_settings():
    from genodash.examples import EXAMPLES

    lessons = shipped_lessons(pages=PAGES)
    assert len(lessons) == 7
    assert [lesson.order for lesson in lessons] == sorted(lesson.order for lesson in lessons)
    keys = widget_keys()
    for lesson in lessons:
        for step in lesson.steps:
            assert (ROOT / step.page).is_file()
            assert step.url.split("?")[0] in {
                p.split("/")[-1][:-3].split("_", 1)[-1] for p in PAGES
            } | {""}
            unknown = [k for k in step.settings if not known_setting(k, keys)]
            assert unknown == [], (lesson.key, unknown)
            if "data" in step.settings:
                assert step.settings["data"] in EXAMPLES
            assert step.check is None or step.check.number in NUMBERS


def test_every_published_number_is_published_by_some_page():
    sources = "\n".join(p.read_text() for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")])
    for name in NUMBERS:
        written = name.replace("-", "_")
        prefix = name.rsplit("-", 1)[0] + "-"
        assert name in sources or written in sources or prefix in sources, name


# --- checks, numbers, glossary ------------------------------------------------------------------


CHECK = Check("test-auroc", 0.9, 1.0, "It found the motif.", "Train longer.")


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [
        (0.95, "inside", "It found the motif."),
        (0.9, "inside", "It found the motif."),
        (0.6, "outside", "Train longer."),
        (None, "missing", "open the step first"),
        (float("nan"), "missing", "open the step first"),
    ],
)
def test_a_check_in_and_out_of_range(value, status, words):
    outcome = evaluate(CHECK, value)
    assert outcome.status == status
    assert words in outcome.message
    if status != "missing":
        assert "expected 0.9 to 1" in outcome.message


def test_results_round_trip_and_damaged_files_give_nothing(tmp_path):
    published = (
        Published()
        .with_number("test-auroc", 0.97, "2-cnn-finds-a-motif.1")
        .with_number("sparsity-share-10d", 0.0, None)
    )
    assert published.latest == {"test-auroc": 0.97, "sparsity-share-10d": 0.0}
    assert published.steps == {"2-cnn-finds-a-motif.1": {"test-auroc": 0.97}}
    write_results(tmp_path / "ws", published)
    assert read_results(tmp_path / "ws") == published
    assert [p.name for p in (tmp_path / "ws").iterdir()] == ["lessons.json"]  # no temp left
    (tmp_path / "ws" / "lessons.json").write_text("{broken")
    assert read_results(tmp_path / "ws") == Published()
    odd = {"latest": {"test-auroc": "x", "zzz": 1}, "steps": {"no-tag": {"test-auroc": 1}}}
    (tmp_path / "ws" / "lessons.json").write_text(json.dumps(odd))
    assert read_results(tmp_path / "ws") == Published()
    assert read_results(tmp_path / "nowhere") == Published()
    with pytest.raises(ValueError, match="zzz"):
        write_results(tmp_path, Published({"zzz": 1.0}))


def test_step_tags_and_merging():
    assert step_tag("my.lesson", 3) == "my.lesson.3"
    assert parse_step_tag("my.lesson.3") == ("my.lesson", 3)
    for bad in (None, "", "lesson", "lesson.0", ".3", "lesson.x"):
        assert parse_step_tag(bad) is None
    old = Published({"test-auroc": 0.5}, {"a.1": {"test-auroc": 0.5}})
    new = Published({"test-loss": 1.0}, {"a.1": {"test-loss": 1.0}, "b.2": {"test-auroc": 0.9}})
    assert old.merged(new) == Published(
        {"test-auroc": 0.5, "test-loss": 1.0},
        {"a.1": {"test-auroc": 0.5, "test-loss": 1.0}, "b.2": {"test-auroc": 0.9}},
    )


def test_check_rows_and_workspace_folders(tmp_path):
    lesson = parse(GOOD)
    elsewhere = Published({"sparsity-share-10d": 0.2})  # not published on the step: not yet
    assert check_rows([lesson], elsewhere)[0]["result"] == "not yet"
    rows = check_rows([lesson], elsewhere.with_number("sparsity-share-10d", 0.2, "lesson-2.1"))
    assert rows == [
        {
            "lesson": "A lesson",
            "step": 1,
            "number": "sparsity-share-10d",
            "value": 0.2,
            "result": "outside",
        }
    ]
    for name in ("0123456789ab", ".trash", "not-a-token"):
        (tmp_path / name).mkdir()
    assert [p.name for p in workspace_folders(tmp_path)] == ["0123456789ab"]
    assert workspace_folders(tmp_path / "missing") == []


def test_the_glossary_has_the_course_words_one_sentence_each():
    terms = glossary()
    wanted = {
        "AUROC",
        "AUPRC",
        "Silhouette",
        "Trustworthiness",
        "ARI",
        "kNN accuracy",
        "Latent space",
        "Saliency",
        "Δ log-odds",
        "Perplexity",
        "Highly variable genes",
        "Early stopping",
        "Leiden",
        "UMAP",
        "t-SNE",
        "PCA",
        "Batch mixing",
    }
    assert wanted <= set(terms)
    for term, sentence in terms.items():
        assert sentence.endswith(".") and len(sentence) < 300, term
    assert term_anchor("kNN accuracy") == "knn-accuracy"
    assert term_anchor("Δ log-odds") == "δ-log-odds"


def test_lesson_file_size_is_capped(tmp_path):
    from genodash.lessons import MAX_LESSON_BYTES, load_lesson

    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "#" * MAX_LESSON_BYTES)
    with pytest.raises(InputError, match="big.yaml: larger than"):
        load_lesson(big, pages=PAGES)
    undecodable = tmp_path / "latin.yaml"
    undecodable.write_bytes(textwrap.dedent(GOOD).encode() + b"\xff\xfe")
    with pytest.raises(InputError, match="latin.yaml: cannot be read as UTF-8"):
        load_lesson(undecodable, pages=PAGES)


def test_shipped_lessons_folder_holds_only_lessons_and_code():
    suffixes = {p.suffix for p in Path(SHIPPED_DIR).iterdir() if p.is_file()}
    assert suffixes <= {".py", ".yaml"}
