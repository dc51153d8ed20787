"""User text rules: NFC, trimmed, no control, zero-width or bidi-override characters.
Stored as given after that; escaped wherever it is shown, never rewritten as HTML."""

import re
import unicodedata

# C0/C1 controls except tab and newline; zero-width and invisible format characters;
# bidi embeddings, overrides and isolates (they can make text display reversed).
_STRIP = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(value: str, *, multiline: bool = True) -> str:
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _STRIP.sub("", value)
    value = _BLANK_LINES.sub("\n\n", value) if multiline else " ".join(value.split())
    return value.strip()
