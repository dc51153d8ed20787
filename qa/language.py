"""Which language a question is typed in: `vi`, `en` or `other`, offline and in microseconds.

A few rules rather than a statistical model, because the summit's questions are short and the
two languages that matter are easy to tell apart:

- A script other than Latin (Chinese, Korean, Thai, Cyrillic...) is `other`.
- Letters only Vietnamese uses (ă, ơ, ư, đ, a hook above, a dot below, a tone mark on â/ê/ô)
  count strongly for Vietnamese.
- Vietnamese typed without tone marks ("ha noi co ve dien tu khong") is still made of
  Vietnamese syllables: an initial consonant, a vowel group and one of eight finals. A word
  that cannot be such a syllable ("what", "smart", "transport") counts against Vietnamese;
  common Vietnamese words ("khong", "duoc", "nguoi") count for it.
- Common English words count for English; common French, German, Spanish, Portuguese,
  Italian and Indonesian words for `other`.

A sentence mixing languages gets the language of its grammar: "What did Đà Nẵng learn?" is
English (the place name's marks are outweighed by the English words around it), "Đà Nẵng áp
dụng smart parking ở đâu?" is Vietnamese. Measured on tests/data/language_questions.tsv."""

from __future__ import annotations

import re
import unicodedata

VIETNAMESE = "vi"
ENGLISH = "en"
OTHER = "other"

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Marks of Vietnamese alone (after NFD): the hook above and the dot below.
_VI_MARKS = {"\u0309", "\u0323"}
_VI_LETTERS = set("ăđơư")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

# An untoned Vietnamese syllable: initial consonant, vowel group, final.
_INITIALS = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_VOWELS = (
    "uyeu|uye|uya|uoi|uou|ieu|yeu|oai|oay|oeo|uay|uai|uoi|uou|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|"
    "oi|oo|ua|ue|ui|uo|uu|uy|ye|ưa|ươ|ưu|ươi|ươu|ưi|a|e|i|o|u|y|ă|â|ê|ô|ơ|ư"
)
_FINALS = "ng|nh|ch|c|m|n|p|t"
_SYLLABLE = re.compile(rf"(?:{_INITIALS})?(?:{_VOWELS})(?:{_FINALS})?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent Vietnamese words typed without marks (none of them an English word).
_VI_WORDS = _words(
    """
    khong duoc nguoi nhung cua cho voi trong nay thi la co ve gi nao sao bao nhieu gio khi
    toi ban anh chi em ong ba chung ta minh cac nhu the lam de tai vi nen cung da dang se
    roi hay hoi xin cam on vay nhe nua moi tu den tren duoi sau truoc giua ngoai noi
    thanh pho tinh quan huyen xa phuong nha nuoc chinh phu dan so dien tu du lieu giao
    thong xe buyt duong sat ve tien gia phi nam thang ngay tuan thoi gian viec cong dich
    vu trien khai ung dung he thang nang luong mat troi gio tai tao chuyen doi ket xe un
    tac can cuoc dinh danh tai khoan ho so thu tuc doanh nghiep ky thuat cong nghe quy
    dinh nghi du an von dau tu hien nay bao gio nhat nhieu it hon lon nho moi cu hoc sinh
    vien truong benh vien khoe manh muon biet hieu thay nghe noi viet doc xem tim mua
    ban dung het chua van con deu rat qua lai ra vao len xuong duoc khac giong ai dau
    nguoi dan can bo mot hai ba bon tram nghin trieu ty phan ca nhan bao mat rieng tu
    """
)

_EN_WORDS = _words(
    """
    the a an of to in on at for with from by about into over under after before between
    and or but if so because than then as is are was were be been being am do does did
    done have has had having will would can could should may might must shall not no yes
    what when where why how who whom whose which that this these those there here it its
    i you he she we they me him her us them my your his our their mine yours
    any some all every each many much more most less few other another such own same
    very too also just only still yet again ever never always already now soon
    please thanks thank pls u ur
    city cities smart plan plans data public service services people citizens government
    transport traffic metro bus buses line energy power electricity solar wind digital
    identity id card app online system systems cost costs price prices year years time
    new good great point talk speaker question use used using work works start
    """
)

_OTHER_WORDS = _words(
    """
    le la les des est une un du pour dans que qui quelle quel quels comment combien sont
    et ou avec sur par pas ce cette ville
    der die das und ist wie wird wann welche welcher ihre ihrer nicht mit fur für eine ein
    el los las una es son cuanto cuánto cómo como para por del ciudad
    o os um uma quanto custa cidade
    il gli della delle sono quali quale per rischi
    yang dan di ke dari untuk dengan ini itu apakah bagaimana sudah belum pemerintah kota
    """
)


def _strip_marks(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _vietnamese_only(word: str) -> bool:
    """A word written with a letter or mark that only Vietnamese uses."""
    decomposed = unicodedata.normalize("NFD", word)
    if _VI_MARKS & set(decomposed) or _VI_LETTERS & set(word):
        return True
    # â, ê, ô carrying a tone mark as well (French writes ê, never ế).
    return bool(re.search("[aeo]\u0302[\u0300\u0301\u0303]", decomposed))


def _latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")


def detect_language(text: str) -> str:
    """`vi`, `en` or `other` for a question's text (empty or no letters: `other`)."""
    words = _WORD.findall(text.lower())
    letters = [c for word in words for c in word]
    if not letters:
        return OTHER
    if sum(not _latin(c) for c in letters) * 3 > len(letters):
        return OTHER
    vi = en = other = 0.0
    for word in words:
        plain = _strip_marks(word).replace("đ", "d")
        if _vietnamese_only(word):
            vi += 2
        elif set(unicodedata.normalize("NFD", word)) & _TONES and _SYLLABLE.fullmatch(plain):
            vi += 1  # a Vietnamese syllable with a grave, acute or tilde tone
        if plain in _VI_WORDS and word not in _EN_WORDS:
            vi += 1
        if word in _EN_WORDS:
            en += 1
        if word in _OTHER_WORDS:
            other += 1
        if not _SYLLABLE.fullmatch(plain):
            # Cannot be Vietnamese: a loanword in a Vietnamese sentence, or a foreign word.
            vi -= 0.5
            if plain == word and word not in _OTHER_WORDS:
                en += 0.25  # unmarked and not Vietnamese: English is the likelier of the rest
    best = max(vi, en, other)
    if best <= 0:
        return OTHER
    if vi == best:
        return VIETNAMESE
    if en == best and en > other:
        return ENGLISH
    return OTHER
