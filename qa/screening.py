"""Screening before the projector: which listed words a question contains.

The list of an event is the project's default lists (qa/data/blocked_terms_*.txt, Vietnamese
and English) merged with the event's own terms (`BlockedTerm`, edited in the admin): an event
adds to the defaults, it cannot remove from them. A question that matches is held for a
moderator (qa/services.question_submit), whatever the session's moderation mode.

How a term matches a question:
- case, Vietnamese tone marks and đ/d are ignored ("DIT ME" and "địt mẹ" are one term), unless
  the term is listed with a leading "=": then its tone marks must be typed as listed (for terms
  whose toneless form is an ordinary word: "=lồn" must not hold a question about something
  "lớn");
- whole words only: "ass" does not hit "class", "cunt" does not hit "Scunthorpe";
- a term of several words matches those words in a row, whatever spaces or punctuation
  separate them, and also written as one word ("dit me", "dit.me", "ditme");
- the usual evasions are undone before matching: punctuation inside a word ("f.u.c.k",
  "sh-it"), and letters typed one by one with spaces or dots between them ("f u c k", "đ m",
  "f. u. c. k").
Not caught (documented limits): misspellings and look-alike digits ("fuk", "sh1t"), a strict
term typed with other tone marks ("lổn")."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LISTS = ("vi", "en")
_DATA = Path(__file__).resolve().parent / "data"
_WORD = re.compile(r"[^\W_]+")


def fold(value: str) -> str:
    """Lower case, without tone or other marks, đ as d: how a non-strict term is compared."""
    value = unicodedata.normalize("NFD", value.casefold().replace("đ", "d"))
    return "".join(c for c in value if unicodedata.category(c) != "Mn")


def _lower(value: str) -> str:
    return unicodedata.normalize("NFC", value.casefold())


def _views(text: str) -> list[list[str]]:
    """The question's words three ways (each lower case, marks kept): as typed; each
    space-separated chunk with its punctuation removed ("f.u.c.k" -> "fuck"); and runs of
    one-letter words joined ("f u c k" -> "fuck", "đ m" -> "đm")."""
    text = _lower(text)
    words = _WORD.findall(text)
    chunks = ["".join(_WORD.findall(chunk)) for chunk in text.split()]
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1:
            run.append(word)
            continue
        if len(run) > 1:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return [words, [c for c in chunks if c], joined]


@dataclass(frozen=True)
class Term:
    label: str  # as listed, without the leading "="
    words: tuple[str, ...]  # lower case, marks kept
    strict: bool

    def key(self, word: str) -> str:
        return word if self.strict else fold(word)

    @property
    def forms(self) -> list[tuple[str, ...]]:
        """The word sequences that match: the words, and (several words) them as one word."""
        keys = tuple(self.key(w) for w in self.words)
        return [keys, ("".join(keys),)] if len(keys) > 1 else [keys]


def parse_term(line: str) -> Term | None:
    """One line of a list: None for a blank line, a comment or a line without letters."""
    line = line.split("#", 1)[0].strip()
    strict = line.startswith("=")
    words = tuple(_WORD.findall(_lower(line.lstrip("="))))
    if not words:
        return None
    return Term(label=" ".join(words), words=words, strict=strict)


class Matcher:
    """A compiled word list. `find(text)` costs one pass over the question's words per view."""

    def __init__(self, terms: Iterable[Term]):
        # (strict, first word) -> the forms starting with it, each with its term's label
        self._index: dict[tuple[bool, str], list[tuple[tuple[str, ...], str]]] = {}
        self._order: dict[str, int] = {}
        for term in terms:
            self._order.setdefault(term.label, len(self._order))
            for form in term.forms:
                entry = (form, term.label)
                bucket = self._index.setdefault((term.strict, form[0]), [])
                if entry not in bucket:
                    bucket.append(entry)

    def find(self, text: str) -> list[str]:
        """The labels of the terms the text contains, in the order of the list."""
        found: dict[str, None] = {}
        for words in _views(text):
            folded = [fold(w) for w in words]
            for i in range(len(words)):
                for strict, seq in ((True, words), (False, folded)):
                    for form, label in self._index.get((strict, seq[i]), ()):
                        if tuple(seq[i : i + len(form)]) == form:
                            found[label] = None
        return sorted(found, key=self._order.__getitem__)


@functools.cache
def default_terms() -> tuple[Term, ...]:
    terms = []
    for language in DEFAULT_LISTS:
        path = _DATA / f"blocked_terms_{language}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            term = parse_term(line)
            if term is not None:
                terms.append(term)
    return tuple(terms)


@functools.cache
def _default_matcher() -> Matcher:
    return Matcher(default_terms())


def matcher_for(extra: Iterable[str]) -> Matcher:
    """The defaults merged with an event's own terms (as stored in `BlockedTerm.term`)."""
    own = [t for t in (parse_term(line) for line in extra) if t is not None]
    return Matcher([*default_terms(), *own]) if own else _default_matcher()
