#!/usr/bin/env python3
"""Check that the English catalogue is complete and that its compiled ``.mo`` is up to date.

Run from the project root (``scripts/test`` does)::

    .venv/bin/python scripts/check_translations.py

The source strings (gettext msgids) are Simplified Chinese; English lives in
``zhangfang/locale/en/LC_MESSAGES/django.po`` and its compiled ``django.mo``, both committed so
that a machine without GNU gettext still serves English. The check fails (exit status 1) when:

* a string in the source has no English translation in the committed ``.po`` (only checked when
  GNU gettext's ``xgettext`` is installed: ``makemessages`` runs on a temporary copy of the
  project, so the committed files are never touched);
* the committed ``.po`` has an empty or fuzzy entry, or a translation whose ``%(name)s``
  placeholders differ from its msgid's;
* the committed ``.mo`` does not hold exactly the translations of the ``.po`` (it was not
  recompiled after the ``.po`` changed).

How to update translations (after adding or changing strings in the code or templates):

1. ``.venv/bin/python manage.py makemessages -l en --no-location --no-obsolete --ignore=.venv
   --ignore=var`` adds the new msgids to ``django.po`` with an empty ``msgstr``; a changed string
   may come back as a ``#, fuzzy`` entry holding the old string's English.
2. Translate every empty ``msgstr`` (for ``msgid_plural``, both ``msgstr[0]`` and ``msgstr[1]``),
   keeping placeholders such as ``%(name)s`` exactly; for a fuzzy entry, correct the English and
   delete the ``fuzzy`` flag. Running this script lists what is still missing.
3. ``.venv/bin/python manage.py compilemessages --ignore=.venv`` rewrites ``django.mo``.
4. Run this script again, then commit ``django.po`` and ``django.mo`` together.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path("zhangfang") / "locale" / "en" / "LC_MESSAGES"
PO_PATH = ROOT / CATALOGUE / "django.po"
MO_PATH = ROOT / CATALOGUE / "django.mo"
MAKEMESSAGES = ["makemessages", "-l", "en", "--no-location", "--ignore=.venv", "--ignore=var"]
# What makemessages scans when run from the project root: the package, manage.py and scripts/.
COPIED = ["manage.py", "zhangfang", "scripts"]
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "locale", ".pytest_cache")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")
_KEYWORD_RE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_FORMAT_RE = re.compile(  # a printf-style conversion: %s, %d, %(name)s, %%, ...
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def label(self) -> str:
        text = self.msgid.replace("\n", "\\n")
        if len(text) > 70:
            text = text[:67] + "..."
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f'line {self.line}: "{text}"{context}'


def _unquote(quoted: str, where: str) -> str:
    if len(quoted) < 2 or not (quoted.startswith('"') and quoted.endswith('"')):
        raise ValueError(f"{where}: expected a quoted string, got {quoted!r}")

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return _ESCAPES.get(code, code)

    return _ESCAPE_RE.sub(replace, quoted[1:-1])


def parse_po(text: str, name: str = "django.po") -> list[Entry]:
    """The entries of a .po file, header (msgid "") included, obsolete ones marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    section: tuple[str, int] | None = None  # ("msgid" | "msgid_plural" | "msgctxt" | "msgstr", n)
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current, section
        if current is not None:
            entries.append(current)
        current, section = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete entry
                continue
        elif line.startswith("#"):
            if current is not None and section and section[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if not line:
            finish()
            continue
        where = f"{name}:{number}"
        match = _KEYWORD_RE.match(line)
        if match:
            keyword, index, quoted = match.groups()
            value = _unquote(quoted, where)
            starts_entry = keyword in ("msgctxt", "msgid")
            after_context = section is not None and section[0] == "msgctxt"
            if starts_entry and current is not None and not after_context:
                finish()
            if current is None:
                if not starts_entry:
                    raise ValueError(f"{where}: {keyword} without a msgid")
                current = Entry(line=number, flags=pending_flags, obsolete=obsolete)
                pending_flags = set()
            if keyword == "msgctxt":
                current.msgctxt, section = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, section = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, section = value, ("msgid_plural", 0)
            else:
                n = int(index) if index is not None else 0
                current.msgstr[n], section = value, ("msgstr", n)
            continue
        if line.startswith('"') and current is not None and section is not None:
            value = _unquote(line, where)
            kind, n = section
            if kind == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif kind == "msgid":
                current.msgid += value
            elif kind == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            else:
                current.msgstr[n] += value
            continue
        raise ValueError(f"{where}: cannot read {raw!r}")
    finish()
    return entries


def _nplurals(header: str) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header)
    return int(match.group(1)) if match else 2


def _placeholders(text: str) -> tuple[list[str], int]:
    named, positional = [], 0
    for match in _FORMAT_RE.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named.append(match.group("name"))
        else:
            positional += 1
    return sorted(set(named)), positional


def check_po(entries: list[Entry]) -> list[str]:
    """Problems in the committed .po: fuzzy, empty or placeholder-mismatched translations."""
    problems: list[str] = []
    header = next((e for e in entries if e.msgid == "" and not e.obsolete), None)
    if header is None:
        return ['the .po has no header entry (msgid "")']
    if "fuzzy" in header.flags:
        problems.append('the header entry (msgid "") is marked fuzzy')
    nplurals = _nplurals(header.msgstr.get(0, ""))
    seen: set[tuple[str | None, str]] = set()
    for entry in entries:
        if entry.obsolete or entry is header:
            continue
        if entry.key in seen:
            problems.append(f"duplicate entry, {entry.label()}")
        seen.add(entry.key)
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy (check the English, then remove the flag), {entry.label()}")
        forms = range(nplurals) if entry.msgid_plural is not None else range(1)
        if any(not entry.msgstr.get(n) for n in forms):
            problems.append(f"not translated, {entry.label()}")
            continue
        if "python-format" not in entry.flags:
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        wanted_named = sorted({name for s in sources for name in _placeholders(s)[0]})
        wanted_positional = _placeholders(entry.msgid)[1]
        for n in forms:
            named, positional = _placeholders(entry.msgstr[n])
            plural_form_may_drop = entry.msgid_plural is not None and n < nplurals - 1
            if plural_form_may_drop:
                bad = not set(named) <= set(wanted_named)
            else:
                bad = named != wanted_named or positional != wanted_positional
            if bad:
                problems.append(
                    f"placeholders differ from the msgid's ({', '.join(wanted_named) or '-'}"
                    f" expected, {', '.join(named) or '-'} found), {entry.label()}"
                )
                break
    return problems


def check_mo(entries: list[Entry]) -> list[str]:
    """Does the committed .mo hold exactly the .po's translations? (Header excluded.)"""
    if not MO_PATH.exists():
        return [f"{MO_PATH.relative_to(ROOT)} is missing: run manage.py compilemessages"]
    with MO_PATH.open("rb") as handle:
        try:
            catalog = dict(gettext.GNUTranslations(handle)._catalog)
        except (OSError, UnicodeDecodeError) as exc:
            return [f"{MO_PATH.relative_to(ROOT)} cannot be read: {exc}"]
    catalog.pop("", None)
    expected: dict[object, str] = {}
    for entry in entries:
        if entry.obsolete or entry.msgid == "" or "fuzzy" in entry.flags:
            continue
        if not all(entry.msgstr.values()):
            continue  # msgfmt leaves untranslated entries out
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            for n, text in entry.msgstr.items():
                expected[(msgid, n)] = text
    if catalog == expected:
        return []
    keys = (expected.keys() ^ catalog.keys()) | {
        k for k in expected.keys() & catalog.keys() if expected[k] != catalog[k]
    }
    differing = sorted({k if isinstance(k, str) else k[0] for k in keys})
    shown = "\n".join(f'    "{m[:70]}"' for m in differing[:10])
    more = f"\n    ... and {len(differing) - 10} more" if len(differing) > 10 else ""
    return [
        f"{MO_PATH.relative_to(ROOT)} is out of date with the .po"
        f" ({len(differing)} message(s) differ): run"
        f" `.venv/bin/python manage.py compilemessages --ignore=.venv`\n{shown}{more}"
    ]


def source_msgids() -> tuple[list[Entry] | None, str]:
    """The entries makemessages extracts from the source now, or None (and why) if it cannot run."""
    missing_tools = [t for t in ("xgettext", "msguniq") if shutil.which(t) is None]
    if missing_tools:
        return None, f"{' and '.join(missing_tools)} not installed: skipped the scan of the source"
    committed = PO_PATH.read_bytes()
    with tempfile.TemporaryDirectory(prefix="zhangfang-i18n-") as tmp:
        copy = Path(tmp)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=SKIPPED)
            elif source.exists():
                shutil.copy2(source, copy / name)
        env = {**os.environ, "ZHANGFANG_TESTING": "1"}
        env["DJANGO_SETTINGS_MODULE"] = "zhangfang.settings"
        env.pop("DATABASE_URL", None)
        env.pop("PYTHONPATH", None)
        result = subprocess.run(
            [sys.executable, "manage.py", *MAKEMESSAGES],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if PO_PATH.read_bytes() != committed:  # the copy must never write to the real catalogue
            PO_PATH.write_bytes(committed)
            raise SystemExit(
                "check_translations: makemessages in the temporary copy wrote to the committed"
                " catalogue (restored); is the project importable from somewhere else?"
            )
        if result.returncode != 0:
            raise SystemExit(
                f"check_translations: makemessages failed in the temporary copy:\n"
                f"{result.stdout}{result.stderr}"
            )
        fresh = copy / CATALOGUE / "django.po"
        if not fresh.exists():
            raise SystemExit(f"check_translations: makemessages wrote no {CATALOGUE}/django.po")
        return parse_po(fresh.read_text(encoding="utf-8"), "extracted django.po"), ""


def main() -> int:
    if not PO_PATH.exists():
        print(f"check_translations: {PO_PATH.relative_to(ROOT)} is missing.", file=sys.stderr)
        return 1
    try:
        entries = parse_po(PO_PATH.read_text(encoding="utf-8"), str(PO_PATH.relative_to(ROOT)))
    except ValueError as exc:
        print(f"check_translations: cannot parse the .po: {exc}", file=sys.stderr)
        return 1
    problems = check_po(entries)

    extracted, skipped = source_msgids()
    stale: list[Entry] = []
    if extracted is not None:
        present = {e.key for e in entries if not e.obsolete}
        source_keys = {e.key for e in extracted if e.msgid}
        for entry in extracted:
            if entry.msgid and entry.key not in present:
                problems.append(f'not in the .po (new in the source): "{entry.msgid[:70]}"')
        stale = [e for e in entries if not e.obsolete and e.msgid and e.key not in source_keys]

    problems += check_mo(entries)

    count = sum(1 for e in entries if not e.obsolete and e.msgid)
    if skipped:
        print(f"check_translations: note: {skipped}.")
    for entry in stale:
        print(f"check_translations: note: no longer in the source, {entry.label()}")
    if problems:
        print(
            f"check_translations: {len(problems)} problem(s) in the English catalogue"
            f" ({PO_PATH.relative_to(ROOT)}):",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "To fix: see 'How to update translations' at the top of scripts/check_translations.py.",
            file=sys.stderr,
        )
        return 1
    print(f"check_translations: OK, {count} messages translated into English, .mo up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
