"""Bytes to text: refuse binary and empty input, detect the encoding.

Every decision is returned as a :class:`CleaningStep` (``op="decode"``)
so that :func:`propwatch.ingest.clean.replay` can redo it from the raw
bytes, or as a :class:`Rejection` naming the reason.
"""

from __future__ import annotations

import codecs

from ..records import CleaningStep, Rejection

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_SNIFF = 8192
# At most this many malformed UTF-8 sequences are replaced (and flagged);
# more than that and the input is rejected as not UTF-8 at all.
MAX_REPAIRED_SEQUENCES = 3


def looks_binary(head: bytes) -> bool:
    """True for data that is not text: NUL bytes or many control characters."""
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(head) > 0.05


def decode_bytes(data: bytes, source: str, line: int | None = None) -> tuple[str, CleaningStep, tuple[str, ...]] | Rejection:
    """Decode ``data``; return (text, step, flags) or a Rejection."""
    if not data.strip():
        return Rejection(source, "empty", "the input holds no text", line)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                return Rejection(
                    source, "encoding",
                    f"a {encoding} byte-order mark, but the bytes after it are not {encoding} "
                    f"({exc.reason} at byte {exc.start})", line,
                )
            if not text.strip("\ufeff \t\r\n"):
                return Rejection(source, "empty", "the input holds no text (a byte-order mark only)", line)
            return text, CleaningStep("decode", {"encoding": encoding}, "byte-order mark"), ()
    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        text = data.decode(utf16)
        return text, CleaningStep("decode", {"encoding": utf16}, f"{utf16} without a byte-order mark"), ("encoding-guessed",)
    if looks_binary(data[:_SNIFF]):
        return Rejection(source, "binary", "the input is binary data, not text (NUL or control bytes)", line)
    try:
        text = data.decode("utf-8")
        return text, CleaningStep("decode", {"encoding": "utf-8"}), ()
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    bad = _count_bad_utf8(data)
    valid_multibyte = _has_valid_multibyte(data)
    if valid_multibyte:
        if bad <= MAX_REPAIRED_SEQUENCES:
            text = data.decode("utf-8", errors="replace")
            step = CleaningStep(
                "decode",
                {"encoding": "utf-8", "errors": "replace"},
                f"{bad} malformed UTF-8 sequence(s) replaced with U+FFFD (first at byte {first_bad})",
            )
            return text, step, ("encoding-repaired",)
        return Rejection(
            source, "encoding",
            f"invalid UTF-8: {bad} malformed byte sequences, first at byte {first_bad}", line,
        )
    guess = _guess_legacy_encoding(data)
    if guess is None:
        return Rejection(
            source, "encoding",
            f"not UTF-8 (first bad byte at {first_bad}) and no other encoding fits", line,
        )
    text = data.decode(guess)
    # a guess can be wrong (bytes of a broken UTF-8 file read as cp1251): the story says so
    return text, CleaningStep("decode", {"encoding": guess}, f"detected legacy encoding {guess} (a guess)"), ("encoding-guessed",)


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for text in UTF-16 without a byte-order mark: NUL in
    (nearly) every other byte on one side, and the decoded text printable; else None."""
    head = data[:_SNIFF]
    if len(head) < 8 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros.count(0) < 0.7 * len(zeros):
            continue
        try:
            text = data[: len(data) - len(data) % 2].decode(encoding)
        except UnicodeDecodeError:
            return None
        sample = text[:4000]
        printable = sum(1 for ch in sample if ch.isprintable() or ch in "\t\r\n")
        if sample and printable / len(sample) > 0.95:
            return encoding if len(data) % 2 == 0 else None
    return None


def _count_bad_utf8(data: bytes) -> int:
    """How many malformed UTF-8 sequences ``data`` holds (one U+FFFD each)."""
    replaced = data.decode("utf-8", errors="replace").count("\ufffd")
    return replaced - data.count("\ufffd".encode("utf-8"))


def _has_valid_multibyte(data: bytes) -> bool:
    """Whether the data holds at least one well-formed multi-byte UTF-8 sequence."""
    text = data.decode("utf-8", errors="ignore")
    return any(ord(ch) > 127 for ch in text[:100000])


def _guess_legacy_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200000]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    if best.chaos > 0.3:
        return None
    encoding = codecs.lookup(best.encoding).name
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding
