"""How Vietnamese a decoded text looks: the yardstick for guessing a legacy encoding.

Decoding the same bytes with the wrong table gives text that is still "letters", but not Vietnamese:
TCVN3 read as cp1252 gives "§Êt ë t¹i ®« thÞ", VNI read as TCVN3 gives "Ẹaứ", UTF-8 read as cp1258
gives "Ä‘". Two measures catch that without a dictionary:

- the share of non-ASCII words that are well-formed Vietnamese syllables (initial consonant, a known
  vowel group, an allowed final consonant, at most one tone mark);
- the share of non-ASCII characters that are Vietnamese letters (symbols such as § µ ½ « ®, stray
  combining marks, control characters and the soft hyphen are not). Common typographic punctuation
  (dashes, curly quotes, no-break space, °, ²) counts neither way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from danang_sdi.sources.charmaps import TCVN3_ENCODE, TONES

VIETNAMESE_LETTERS = frozenset(TCVN3_ENCODE) | {letter.upper() for letter in TCVN3_ENCODE}
"""Every non-ASCII letter of the Vietnamese alphabet, both cases, NFC."""

_TONE_MARKS = frozenset(TONES[1:])
_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel groups that may be followed by a final consonant, and those that end the syllable themselves.
_OPEN_VOWELS = "uyê|oo|oa|oă|oe|uâ|uê|uy|iê|yê|uô|ươ|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
_CLOSED_VOWELS = (
    "iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ưa|ưi|ưu|ui|uơ"
)
_FINALS = "ch|ng|nh|c|k|m|n|p|t"  # k: minority place names (Đắk Lắk)
_SYLLABLE = re.compile(f"(?:{_INITIALS})?(?:(?:{_OPEN_VOWELS})(?:{_FINALS})?|(?:{_CLOSED_VOWELS}))")
# Words are split on white space and ordinary punctuation; anything else stays in the word and spoils it.
_WORD_SEPARATORS = re.compile(r"[\s\-–—/\\,;:.()\[\]{}\"'“”‘’!?&+*=<>|_#%0-9]+")
# The same split keeping the separators: words at even positions, separators at odd ones.
_WORDS_AND_SEPARATORS = re.compile(f"({_WORD_SEPARATORS.pattern})")


def _strip_tones(word: str) -> tuple[str, int]:
    """Return the word without tone marks (NFC) and how many tone marks it had."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = sum(char in _TONE_MARKS for char in decomposed)
    bare = "".join(char for char in decomposed if char not in _TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tones


def is_vietnamese_syllable(word: str) -> bool:
    """Tell whether a word is a well-formed Vietnamese syllable (spelling only, not a dictionary).

    Examples
    --------
    >>> is_vietnamese_syllable("Nẵng"), is_vietnamese_syllable("N½ng"), is_vietnamese_syllable("naỹng")
    (True, False, False)
    """
    word = unicodedata.normalize("NFC", word)
    if not all((char.isascii() and char.isalpha()) or char in VIETNAMESE_LETTERS for char in word):
        return False
    bare, tones = _strip_tones(word.lower())
    return tones <= 1 and _SYLLABLE.fullmatch(bare) is not None


_NEUTRAL = frozenset("–—“”‘’…°²\u00a0•")


def _is_odd(char: str) -> bool:
    """A character worth judging: non-ASCII (except common punctuation) or an ASCII control character."""
    if char.isascii():
        return not (char.isprintable() or char in "\t\r\n")
    return char not in _NEUTRAL


@lru_cache(maxsize=1 << 16)
def _piece_counts(piece: str) -> tuple[int, int, bool]:
    """For a word or a run of separators: its odd characters, how many are Vietnamese letters, and
    whether it is a valid syllable (only worked out when it has odd characters).

    Cached: the words of a column repeat (Phường, Hải, Châu...), and scoring thousands of values used to
    spend most of its time judging the same words again.
    """
    odd = good = 0
    for char in piece:
        if _is_odd(char):
            odd += 1
            good += char in VIETNAMESE_LETTERS
    return odd, good, bool(odd) and is_vietnamese_syllable(piece)


def vietnamese_score(texts: Iterable[str]) -> float:
    """Score from 0 to 1 how Vietnamese some decoded texts look; 0 when they hold nothing non-ASCII.

    The score is 0.6 × the share of non-ASCII words that are valid syllables + 0.4 × the share of
    non-ASCII (or control) characters that are Vietnamese letters.

    Examples
    --------
    >>> vietnamese_score(["Đất ở tại đô thị"]), vietnamese_score(["§Êt ë t¹i ®« thÞ"]) < 0.1
    (1.0, True)
    """
    words = valid_words = 0
    odd_chars = good_chars = 0
    for text in texts:
        pieces = _WORDS_AND_SEPARATORS.split(unicodedata.normalize("NFC", text))
        for index, piece in enumerate(pieces):
            odd, good, valid = _piece_counts(piece)
            odd_chars += odd
            good_chars += good
            if odd and not index % 2:  # a word (not a separator) with odd characters
                words += 1
                valid_words += valid
    if not odd_chars:
        return 0.0
    word_share = valid_words / words if words else 0.0
    return round(0.6 * word_share + 0.4 * good_chars / odd_chars, 4)
