"""The report's Japanese font: IPAexGothic (the file matplotlib-fontja ships), cut down to
the characters the report uses (its text and its SVG plots' labels) and embedded in the
HTML, so the report reads the same on a machine without Japanese fonts and needs no network.

The IPA Font License allows embedding the font in a document for displaying it.
Subsetting takes about a second; the rule is kept in the report folder's cache under the
characters it covers, so a report with no new character reuses it.
"""

from __future__ import annotations

import base64
import importlib.util
import io
from importlib.metadata import version
from pathlib import Path

from hyoka.report.cache import DiskCache, digest

FAMILY = "hyoka-ja"  # the CSS font family of the embedded subset (the page's and the SVG plots' text)


def font_path() -> Path:
    """IPAexGothic as shipped by matplotlib-fontja (found without importing the package,
    whose import loads matplotlib and changes its global font settings)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja is not installed: it ships the Japanese font the report needs")
    return Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"


def subset_font(text: str) -> bytes:
    """IPAexGothic holding only the glyphs of `text` (TrueType bytes)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    # hinting kept: taking it out recompiles every glyph (two to three times the time, for a
    # subset about half the size: some 50 KiB on a report of about 1 MiB)
    options.hinting = True
    options.notdef_outline = True
    # horizontal text needs no layout features (vertical forms, ligatures): without their
    # tables the subset is made in two thirds of the time
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG"]
    font = TTFont(str(font_path()), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def font_face_css(text: str, cache: DiskCache | None = None) -> str:
    """An @font-face rule embedding the font subset for `text` (empty when it cannot be made); cached by its characters."""
    characters = "".join(sorted(set(text)))
    key = font_key(characters) if cache else None
    if cache and key:
        kept = cache.get(key)
        if kept is not None:
            return kept.decode("utf-8")
    css = font_face_rule(characters)
    if css and cache and key:
        cache.put(key, css.encode("utf-8"))
    return css


def font_face_rule(characters: str) -> str:
    """The @font-face rule embedding the subset for `characters` (empty when it cannot be made)."""
    try:
        data = base64.b64encode(subset_font(characters)).decode("ascii")
    except Exception:  # noqa: BLE001 - without the embedded font the browser's own fonts are used
        return ""
    return f"@font-face {{ font-family: '{FAMILY}'; src: url(data:font/ttf;base64,{data}) format('truetype'); }}\n"


def font_key(characters: str) -> str | None:
    """The cache key of a subset: its characters, the font file and fontTools' version (None without the font)."""
    try:
        size = font_path().stat().st_size
    except (OSError, RuntimeError):
        return None
    return digest("font", FAMILY, characters, size, version("fonttools"))
