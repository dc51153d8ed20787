"""Duplicates found: which questions of a session say nearly the same thing.

A question's `signature` is stored once at submit: its content words without tone marks,
case, punctuation or word order (qa/screening.fold), without the filler words of its language
(articles, pronouns, politeness, "có ... không"; Vietnamese filler is recognised with its tone
marks, since folded "đến" is "đèn"), English words crudely stemmed ("covered", "coverage" ->
"cover"); then the names it holds (capitalised words after the first: "Đà Nẵng", "Huế").
Two questions are alike when

- they hold the same numbers (metro line 2 is not metro line 3),
- they do not name other places or people (one's names within the other's), and
- they share at least THRESHOLD of their content words (shared / all), or SUBSET_THRESHOLD
  when one question's words all appear in the other (it only adds words).

Question words are content ("when" and "where", "khi nào" and "ở đâu" ask other things).
Tuned on tests/data/similar_pairs.csv (tests/qa/test_similarity.py reports precision and
recall): a word swapped for another ("xe máy" / "xe tải", "protected" / "shared") is what it
still gets wrong. At submit, the candidates come from an indexed lookup of a few keys per
question (`index_keys`, `QuestionKey`), and only they are scored: no pg-only extension, the
same on SQLite and PostgreSQL, and a cost that does not grow with the session."""

from __future__ import annotations

import math
import re
import unicodedata
import zlib

from qa.screening import fold

THRESHOLD = 0.75  # shared / all content words, when neither question adds only words
SUBSET_THRESHOLD = 0.5  # the same, when one question's words all appear in the other
MAX_SIMILAR = 5

_WORD = re.compile(r"[^\W_]+")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_FILLER_EN = _set(
    """a an the is are was were be been being am do does did will would shall should can
    could may might must has have had of to in on at for from by with about into onto over
    and or but so if as than then that this these those there here it its i me my we our us
    you your he she they them their his her please thank thanks any some just also very
    really still yet not no get got going let"""
)
# As typed, with tone marks: folded, many of them are content words ("đến" and "đèn" are
# both "den", "mình" and "minh", "tại" and "tải"). Question words (bao nhiêu, khi nào, ở đâu,
# ai, sao) are content.
_FILLER_VI = _set(
    """là của và các những cho với được này đó thì sẽ đã đang một như thế vậy ạ à nhé ơi xin
    hỏi câu tôi em anh chị ông bà mình chúng ta có không ko k vui lòng cảm ơn bạn quý vị thưa
    về từ đến tại trong ra vào lên xuống lại nữa cũng rất rồi chưa nhiều ít hay hoặc mà nếu
    nha đây kia để bằng ở"""
)
_FILLER_VI_TONELESS = frozenset(fold(w) for w in _FILLER_VI)
# Toneless words that tell Vietnamese typed without marks from English.
_VI_TONELESS = _FILLER_VI_TONELESS | _set(
    "khi nao bao nhieu gio dau sao gi ai nguoi thanh pho duoc khong"
)
_EN_SUFFIXES = ("ing", "ed", "age", "e")


def _is_vietnamese(text: str, tokens: list[str]) -> bool:
    """Tone marks or đ, or (typed without them) more Vietnamese words than English fillers."""
    if fold(text) != text.casefold():
        return True
    vi = sum(t in _VI_TONELESS and t not in _FILLER_EN for t in tokens)
    return vi > sum(t in _FILLER_EN and t not in _VI_TONELESS for t in tokens)


def _stem_en(word: str) -> str:
    """Crude, on purpose: "sensors", "covered", "coverage", "booking" meet their stem."""
    if not word.isalpha():
        return word
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in _EN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _content(text: str) -> tuple[set[str], set[str]]:
    """(content words, names): folded. Names are the capitalised words after the first one
    ("Đà Nẵng", "Huế", "Hanoi"): two questions about other places are not alike."""
    raw = _WORD.findall(unicodedata.normalize("NFC", text))
    lower = [w.casefold() for w in raw]
    names = {fold(w) for w in raw[1:] if w[:1].isupper()}
    if _is_vietnamese(text, [fold(w) for w in lower]):
        toned = fold(text) != text.casefold()
        filler = _FILLER_VI if toned else _FILLER_VI_TONELESS
        keep = [fold(w) for w in lower if (w if toned else fold(w)) not in filler]
    else:
        keep = [_stem_en(w) for w in (fold(w) for w in lower) if w not in _FILLER_EN]
    return set(keep), names


def signature(text: str) -> str:
    """What `Question.signature` stores: the content words, then "|" and the names."""
    content, names = _content(text)
    return " ".join(sorted(content)) + (" | " + " ".join(sorted(names)) if names else "")


def _parse(signature_: str) -> tuple[set[str], set[str]]:
    content, _, names = signature_.partition(" | ")
    return set(content.split()), set(names.split())


def score(a: str, b: str) -> float:
    """0..1: how alike two signatures are; 0 when their numbers differ or they name other
    places or people (neither's names within the other's)."""
    (wa, na), (wb, nb) = _parse(a), _parse(b)
    if not wa or not wb:
        return 0.0
    if {w for w in wa if w.isdigit()} != {w for w in wb if w.isdigit()}:
        return 0.0
    if na and nb and not (na <= nb or nb <= na):
        return 0.0
    jaccard = len(wa & wb) / len(wa | wb)
    if wa <= wb or wb <= wa:
        return jaccard if jaccard >= SUBSET_THRESHOLD else 0.0
    return jaccard if jaccard >= THRESHOLD else 0.0


def alike(a: str, b: str) -> bool:
    """Whether two texts say nearly the same thing."""
    return score(signature(a), signature(b)) > 0


def index_keys(session_id: int, signature_: str) -> list[str]:
    """The keys a question is found by (`QuestionKey`): prefix filtering. Its content words in
    one fixed order (by CRC-32), the first |w| - ceil(t * |w|) + 1 of them, with t the lowest
    threshold (SUBSET_THRESHOLD): two questions whose shared / all words reach t share at
    least one of these. Numbers must be equal for a match, so they are part of every key;
    the session too. A new question's candidates are the questions holding one of its keys:
    what a submit costs depends on how many questions share its rarer words and numbers, not
    on how many the session holds."""
    words, _ = _parse(signature_)
    if not words:
        return []
    digits = " ".join(sorted(w for w in words if w.isdigit()))
    ordered = sorted(words, key=lambda w: (zlib.crc32(w.encode()), w))
    length = len(ordered) - math.ceil(SUBSET_THRESHOLD * len(ordered)) + 1
    return [f"{session_id}|{digits}|{w}"[:120] for w in ordered[:length]]


def most_similar(signature_: str, candidates: list[tuple[int, str]]) -> list[int]:
    """The ids of the candidates (id, signature) alike to `signature_`, most alike first, at
    most MAX_SIMILAR."""
    if not signature_:
        return []
    scored = []
    for pk, other in candidates:
        value = score(signature_, other)
        if value > 0:
            scored.append((-value, pk))
    return [pk for _, pk in sorted(scored)[:MAX_SIMILAR]]
