"""Duplicates found: which questions of a session say nearly the same thing.

A question's `signature` is its set of content words, stored once at submit: without tone
marks, case and punctuation (qa/screening.fold), without filler words of either language
(articles, pronouns, politeness, "có ... không"), English plurals reduced ("sensors" ->
"sensor"), sorted (word order does not count). Two questions are alike when

- they name the same numbers (metro line 2 is not metro line 3), and
- their signatures share at least THRESHOLD of their words (Jaccard: shared / all), with at
  least two content words each (shorter questions must have the same words).

Question words stay content ("when" and "where", "khi nào" and "ở đâu" ask different things).
Tuned on tests/data/similar_pairs.csv (tests/qa/test_similarity.py reports precision and
recall). The check at submit reads the session's signatures (one indexed query, short strings)
and compares them in memory: no pg-only extension, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from qa.screening import fold

THRESHOLD = 0.6
MAX_SIMILAR = 5

_WORD = re.compile(r"[^\W_]+")

_FILLER_EN = """a an the is are was were be been being am do does did will would shall should
can could may might must has have had of to in on at for from by with about into onto over
and or but so if as than then that this these those there here it its it's i me my we our us
you your he she they them their his her please thank thanks any some just also very really
still yet not no get got going gonna there's what's let"""
# Tone-free, as compared. Question words (bao nhiêu, khi nào, ở đâu, ai, sao) are kept.
_FILLER_VI = """la cua va cac nhung cho voi duoc nay do thi se da dang mot nhu the vay a a nhe
oi xin hoi cau toi em anh chi ong ba minh chung ta co khong ko k vui long cam on ban quy vi
thua ve tu den tai trong ra vao len xuong lai nua cung rat roi chua nhieu it hay hoac ma neu
nhe nha day kia nao"""
FILLER = frozenset((_FILLER_EN + " " + _FILLER_VI).split()) - {"nao"}


def _stem(word: str) -> str:
    if len(word) > 4 and word.isascii() and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(fold(text)) if w not in FILLER}


def signature(text: str) -> str:
    """What `Question.signature` stores."""
    return " ".join(sorted(words(text)))


def score(a: set[str], b: set[str]) -> float:
    """0..1: how alike two signatures' word sets are (0 when their numbers differ)."""
    if not a or not b:
        return 0.0
    if {w for w in a if w.isdigit()} != {w for w in b if w.isdigit()}:
        return 0.0
    if min(len(a), len(b)) < 2:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def alike(a: set[str], b: set[str]) -> bool:
    return score(a, b) >= THRESHOLD


def most_similar(signature_: str, candidates: list[tuple[int, str]]) -> list[int]:
    """The ids of the candidates (id, signature) alike to `signature_`, most alike first, at
    most MAX_SIMILAR."""
    mine = set(signature_.split())
    if not mine:
        return []
    scored = []
    for pk, other in candidates:
        value = score(mine, set(other.split()))
        if value >= THRESHOLD:
            scored.append((-value, pk))
    return [pk for _, pk in sorted(scored)[:MAX_SIMILAR]]
