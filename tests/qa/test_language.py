"""Language detection (issue 14) on the labelled questions of tests/data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.language import detect_language

DATA = Path(__file__).resolve().parent.parent / "data" / "language_questions.tsv"


def labelled() -> list[tuple[str, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label, text))
    return rows


def test_language_detection_accuracy_on_the_labelled_set():
    rows = labelled()
    assert len(rows) >= 200
    assert {label for label, _ in rows} == {"vi", "en", "other"}
    wrong = [(label, detect_language(text), text) for label, text in rows]
    wrong = [w for w in wrong if w[0] != w[1]]
    accuracy = 1 - len(wrong) / len(rows)
    by_label = {label: sum(1 for w in wrong if w[0] == label) for label in ("vi", "en", "other")}
    print(f"\nlanguage detection: {accuracy:.1%} of {len(rows)} correct; wrong by label {by_label}")
    for expected, got, text in wrong:
        print(f"  expected {expected}, got {got}: {text}")
    assert accuracy >= 0.95


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ha noi co ve dien tu khong", "vi"),
        ("Hà Nội có vé điện tử không?", "vi"),
        ("Is there an e-ticket in Hanoi?", "en"),
        ("", "other"),
        ("???", "other"),
        ("12345", "other"),
        ("智慧城市", "other"),
    ],
)
def test_detect_language_examples(text, language):
    assert detect_language(text) == language
