"""Template files → `TemplateSpec`s, refusing a mistake with its file, line and key.

A template file is TOML (read with the standard library's `tomllib`). Its tables and
keys are the dataclasses of `hyoka.extractors.template_schema`: `build` walks the parsed TOML
against their type hints (a key no dataclass has, a value of the wrong type, a choice
outside its list, a quantity without its unit) and then lets each dataclass validate
itself. `tomllib` keeps no positions, so `key_lines` scans the text once for where
each key and table is written; an error names the line of the deepest key it can find.

    extractors/templates/kobe.toml:12: project.fields.department.label: an empty list of labels: give at least one
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import types
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from hyoka.extractors.template_schema import SpecError, TemplateSpec, Unit, required_keys

Path_ = tuple[str | int, ...]  # a key's path: table and key names, list items counted from 1


class TemplateFileError(ValueError):
    """A template file hyoka refuses: which file, which line, which key, and why."""

    def __init__(self, path: Path | str, line: int, key: str, reason: str) -> None:
        self.path, self.line, self.key, self.reason = Path(path), line, key, reason
        where = f"{self.path}:{line}: " + (f"{key}: " if key else "")
        super().__init__(where + reason)


# ---- where each key is written -------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class _Scanner:
    """A lenient TOML scanner that only notes the line of each key and table (the text already parsed)."""

    text: str
    pos: int = 0
    line: int = 1

    def peek(self, size: int = 1) -> str:
        return self.text[self.pos:self.pos + size]

    def advance(self, size: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + size)
        self.pos += size

    def skip_space(self, newlines: bool) -> None:
        """Skip blanks and comments (and line breaks, inside arrays and at the top level)."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((end if end >= 0 else len(self.text)) - self.pos)
            else:
                return

    def key(self) -> tuple[str, ...]:
        """A dotted key: bare or quoted parts."""
        parts: list[str] = []
        while True:
            self.skip_space(newlines=False)
            quote = self.peek()
            if quote and quote in "\"'":
                end = self.text.find(quote, self.pos + 1)
                parts.append(self.text[self.pos + 1:end])
                self.advance(end + 1 - self.pos)
            else:
                found = _BARE_KEY.match(self.text, self.pos)
                if found is None:
                    return tuple(parts)
                parts.append(found.group())
                self.advance(found.end() - self.pos)
            self.skip_space(newlines=False)
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    def closing(self, quote: str, start: int) -> int:
        """Where the quote closing a string whose content starts at `start` is (a literal string has no escapes)."""
        end = start
        while True:
            end = self.text.index(quote, end)
            if quote.startswith("'") or not _escaped(self.text, end):
                return end
            end += 1

    def assignment(self, path: Path_, lines: dict[Path_, int]) -> None:
        """After a key: its ` = `, then its value, noting the line where the key is."""
        self.skip_space(newlines=False)
        self.advance()  # '='
        self.skip_space(newlines=False)
        lines.setdefault(path, self.line)
        self.value(path, lines)

    def string(self) -> None:
        """Skip one string of any of TOML's four kinds."""
        for quotes in ('"""', "'''"):
            if self.peek(3) == quotes:
                end = self.closing(quotes, self.pos + 3)
                while self.text[end + 3:end + 4] == quotes[0]:  # up to two quotes may end the content
                    end += 1
                self.advance(end + 3 - self.pos)
                return
        quote = self.peek()
        self.advance(self.closing(quote, self.pos + 1) + 1 - self.pos)

    def value(self, path: Path_, lines: dict[Path_, int]) -> None:
        """Note where the value at `path` starts, and the keys and items inside it."""
        lines.setdefault(path, self.line)
        char = self.peek()
        if char and char in "\"'":
            self.string()
        elif char == "[":
            self.advance()
            number = 0
            while True:
                self.skip_space(newlines=True)
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                number += 1
                before = self.pos
                self.value(path + (number,), lines)
                if self.pos == before:  # (not TOML this scanner knows: stop rather than loop)
                    return
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif char == "{":
            self.advance()
            while True:
                self.skip_space(newlines=True)
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                key = self.key()
                if not key:  # (not TOML this scanner knows: stop rather than loop)
                    return
                self.assignment(path + key, lines)
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        else:  # a number, a boolean, a date: up to the next separator
            found = re.compile(r"[^,\]}\n#]*").match(self.text, self.pos)
            assert found is not None
            self.advance(len(found.group().rstrip()))


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def key_lines(text: str) -> dict[Path_, int]:
    """The line (from 1) where each table, key and list item of a TOML text is written.

    A path counts the items of a list, and the tables of an `[[array]]`, from 1; a table
    under an array of tables (`[evaluations.fields]`) belongs to the array's latest item.
    """
    lines: dict[Path_, int] = {}
    arrays: dict[Path_, int] = {}  # resolved path of an [[array]] -> its items so far
    scanner = _Scanner(text)
    table: Path_ = ()
    while True:
        scanner.skip_space(newlines=True)
        if scanner.pos >= len(text):
            return lines
        if scanner.peek() == "[":
            is_array = scanner.peek(2) == "[["
            scanner.advance(2 if is_array else 1)
            keys = scanner.key()
            scanner.skip_space(newlines=False)
            scanner.advance(2 if is_array else 1)
            table = _resolve(keys, arrays, is_array)
            lines.setdefault(table, scanner.line)
            continue
        key = scanner.key()
        if not key:  # not something this scanner knows: skip the line
            end = text.find("\n", scanner.pos)
            scanner.advance((end if end >= 0 else len(text)) - scanner.pos)
            continue
        scanner.assignment(table + key, lines)


def _resolve(keys: tuple[str, ...], arrays: dict[Path_, int], is_array: bool) -> Path_:
    """A table header's path, with the current item of each array of tables on the way."""
    resolved: Path_ = ()
    for number, key in enumerate(keys, start=1):
        resolved += (key,)
        if is_array and number == len(keys):
            arrays[resolved] = arrays.get(resolved, 0) + 1
            resolved += (arrays[resolved],)
        elif resolved in arrays:
            resolved += (arrays[resolved],)
    return resolved


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """The line of the deepest part of `path` written in the file (1 if none is)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def key_name(path: Path_) -> str:
    """A path as a reader finds it in the file: `project.fields.department.label`, `page[2].anchors`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# ---- TOML values → the schema's dataclasses ---------------------------------------------------


class _Refused(Exception):
    """A value the schema refuses, at `path`."""

    def __init__(self, path: Path_, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def _describe(value: Any) -> str:
    """What a TOML value is, in a reader's words."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} ({value})"


_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)\s*$")
_LENGTH_UNITS = {"pt": 1.0, "mm": 72 / 25.4}


def _quantity(unit: Unit, value: Any, path: Path_) -> float:
    """'2.5pt' → 2.5, '1mm' → 2.83, '35%' → 0.35: a setting with its unit."""
    example = '"2.5pt"' if unit.kind == "length" else '"35%"'
    found = _QUANTITY.match(value) if isinstance(value, str) else None
    if found is None:
        raise _Refused(path, f"{_describe(value)} is not a quantity with its unit: write it as {example}")
    number, written = float(found.group(1)), found.group(2)
    if unit.kind == "length" and written in _LENGTH_UNITS:
        return number * _LENGTH_UNITS[written]
    if unit.kind == "ratio" and written == "%":
        return number / 100
    allowed = "pt or mm" if unit.kind == "length" else "%"
    raise _Refused(path, f"{value!r}: unit {written or '(none)'!r} is not {allowed}; write it as {example}")


def _convert(kind: Any, value: Any, path: Path_) -> Any:
    """`value` (from TOML) as the type `kind` of a schema field."""
    origin = get_origin(kind)
    if origin is not None and hasattr(kind, "__metadata__"):  # Annotated[float, Unit(...)]
        return _quantity(kind.__metadata__[0], value, path)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(kind) if arg is not type(None)]
        return _convert(inner, value, path)
    if origin is Literal:
        choices = get_args(kind)
        if value not in choices:
            raise _Refused(path, f"{_describe(value)} is not one of: {', '.join(map(str, choices))}")
        return value
    if origin is tuple:
        item = get_args(kind)[0]
        if value == []:  # never meant: an empty list of labels would match nothing (or everything)
            raise _Refused(path, "an empty list: give at least one item, or leave the key out")
        if isinstance(value, list):
            return tuple(_convert(item, element, path + (number,)) for number, element in enumerate(value, start=1))
        return (_convert(item, value, path),)  # one item may be written without its list
    if origin is dict:
        if not isinstance(value, dict):
            raise _Refused(path, f"{_describe(value)} where a table {{ name = … }} belongs")
        item = get_args(kind)[1]
        return {name: _convert(item, element, path + (name,)) for name, element in value.items()}
    if isinstance(kind, type) and is_dataclass(kind):
        shorthand = getattr(kind, "SHORTHAND", None)
        if shorthand and isinstance(value, str):  # `code = "事務事業ID"` for `code = { label = "事務事業ID" }`
            value = {shorthand: value}
        return build(kind, value, path)
    if kind is bool and not isinstance(value, bool):
        raise _Refused(path, f"{_describe(value)} where true or false belongs")
    if kind is str and not isinstance(value, str):
        raise _Refused(path, f"{_describe(value)} where text belongs (write it in quotes)")
    if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise _Refused(path, f"{_describe(value)} where a number belongs")
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A schema dataclass's field types (resolved once: the annotations are strings)."""
    return get_type_hints(cls, include_extras=True)


def build(cls: type, value: Any, path: Path_ = ()) -> Any:
    """A schema dataclass from a TOML table: every key known, typed and validated."""
    if not isinstance(value, dict):
        raise _Refused(path, f"{_describe(value)} where a table belongs")
    hints = _hints(cls)
    known = [f.name for f in fields(cls)]
    for name in value:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Refused(path + (name,), f"unknown key{hint}; the keys here are: {', '.join(known)}")
    for name in required_keys(cls):
        if name not in value:
            raise _Refused(path, f"missing key {name!r}")
    arguments = {name: _convert(hints[name], element, path + (name,)) for name, element in value.items()}
    try:
        return cls(**arguments)
    except SpecError as error:
        raise _Refused(path + error.key, error.reason) from None


# ---- files ---------------------------------------------------------------------------------


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)$")


def parse_template(text: str, path: Path | str = "<template>") -> TemplateSpec:
    """A template file's text → its `TemplateSpec` (a `TemplateFileError` names any mistake)."""
    spec: TemplateSpec = parse_spec(TemplateSpec, text, path)
    return spec


def parse_spec(root: type, text: str, path: Path | str = "<template>") -> Any:
    """A file's text → the `root` schema dataclass (PDF or spreadsheet template); mistakes as `TemplateFileError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_POSITION.search(str(error))
        reason = _TOML_POSITION.sub("", str(error)).strip()
        raise TemplateFileError(path, int(found.group(1)) if found else 1, "", f"not valid TOML: {reason}") from None
    try:
        spec = build(root, data)
    except _Refused as refused:
        try:
            lines = key_lines(text)
        except (ValueError, IndexError):  # the scanner is lenient, not a parser: the key is still named
            lines = {}
        line = line_of(lines, refused.path)
        raise TemplateFileError(path, line, key_name(refused.path), refused.reason) from None
    return spec


def load_template_file(path: Path) -> TemplateSpec:
    """Read and check one template file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateFileError(path, 1, "", f"cannot be read ({error})") from None
    return parse_template(text, path)


# A folder of the user's own template files (`hyoka … --templates DIR` sets it): PDF templates in
# it, spreadsheet templates in its `sheets/`. An environment variable, so that the processes
# that read a run's pages see it too.
USER_TEMPLATES_ENV = "HYOKA_TEMPLATES"


def template_files(folder: Path) -> list[Path]:
    """The template files in a folder (`*.toml`), by name."""
    return sorted(folder.glob("*.toml"))
