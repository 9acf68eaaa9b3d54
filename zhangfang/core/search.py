"""Pinyin search keys, so ``hwjs`` or ``huawei`` finds 华为技术有限公司.

A record keeps one text column of keys (full pinyin and initials of each searchable name); a search
is then a plain ``icontains`` on that column, the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def pinyin_keys(*texts: str) -> str:
    """Full pinyin and initials of each text, lower-case, separated by spaces."""
    keys: list[str] = []
    for text in texts:
        if not text:
            continue
        full = "".join(lazy_pinyin(text, errors="default")).lower()
        # Non-Chinese runs ("ABC") come back whole, so they stay searchable as typed.
        initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, strict=False)).lower()
        for key in (_NOT_WORD.sub("", full), _NOT_WORD.sub("", initials)):
            if key and key not in keys:
                keys.append(key)
    return " ".join(keys)


def normalize_query(text: str) -> str:
    """What a pinyin query is compared as: lower-case letters and digits only."""
    return _NOT_WORD.sub("", text.lower())
