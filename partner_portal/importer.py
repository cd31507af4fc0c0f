"""Bulk import of partners from CSV, for the admin upload and ``flask partners import``.

The file is UTF-8 CSV with a header naming its columns: ``email`` and
``name`` (required), ``company`` and ``pages`` (optional; page slugs
separated by spaces or semicolons). Every line is checked first and every
bad line reported with its number and reason; nothing is written unless the
whole file is valid, and then everything is written in one transaction.
Imported partners are active (they can request a sign-in link at once), as
with ``flask partners add``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from . import partners
from .actors import Actor
from .extensions import db
from .models import Partner, StatusPage

REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("company", "pages")
_SLUG_SEPARATORS = re.compile(r"[\s;]+")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.reason}"


class ImportRejected(Exception):
    """The file has bad lines; ``errors`` lists each with its number and reason."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} bad line(s)")
        self.errors = errors


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    company: str | None
    slugs: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Return the file's text, or reject a file that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRejected([LineError(line, "the file is not UTF-8 text.")]) from None


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise ImportRejected(
            [
                LineError(
                    1,
                    "the first line must name the columns: email, name, and optionally "
                    "company and pages (for example: email,name,company,pages).",
                )
            ]
        )
    return columns


def parse(text: str, progress: Progress | None = None) -> list[ImportRow]:
    """Return every row of the file, or raise ImportRejected listing every bad line."""
    reader = csv.reader(io.StringIO(text))
    try:
        first = next(reader, None)
        if first is None:
            raise ImportRejected([LineError(1, "the file is empty.")])
        columns = _header(first)
        raw_rows: list[tuple[int, list[str]]] = []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                raw_rows.append((start, cells))
    except csv.Error as error:
        raise ImportRejected([LineError(reader.line_num, f"not valid CSV ({error}).")]) from None
    if not raw_rows:
        raise ImportRejected([LineError(1, "the file has a header but no partners.")])

    known_slugs = set(db.session.scalars(select(StatusPage.slug)))
    existing = set(db.session.scalars(select(Partner.email)))
    seen: dict[str, int] = {}
    rows: list[ImportRow] = []
    errors: list[LineError] = []
    for index, (line, cells) in enumerate(raw_rows, start=1):
        try:
            rows.append(_row(line, columns, cells, known_slugs, existing, seen))
        except partners.DirectoryError as error:
            errors.append(LineError(line, str(error)))
        if progress:
            progress(index)
    if errors:
        raise ImportRejected(errors)
    return rows


def _row(
    line: int,
    columns: list[str],
    cells: list[str],
    known_slugs: set[str],
    existing: set[str],
    seen: dict[str, int],
) -> ImportRow:
    if len(cells) != len(columns):
        raise partners.InvalidValue(f"expected {len(columns)} values, found {len(cells)}.")
    values = dict(zip(columns, cells, strict=True))
    email = partners.canonical_email(values["email"])
    if email in existing:
        raise partners.DuplicatePartner(f"a partner with the email {email} already exists.")
    if email in seen:
        raise partners.DuplicatePartner(f"{email} is already on line {seen[email]}.")
    seen[email] = line
    name = partners.clean_text(values["name"], field="Name")
    company = partners.clean_text(values.get("company", ""), field="Company", required=False)
    slugs = [s for s in _SLUG_SEPARATORS.split(values.get("pages", "").strip().lower()) if s]
    unknown = [slug for slug in slugs if slug not in known_slugs]
    if unknown:
        raise partners.UnknownPage(f"no status page has the slug {', '.join(unknown)}.")
    return ImportRow(line, email, name, company or None, list(dict.fromkeys(slugs)))


def apply(rows: list[ImportRow], actor: Actor, progress: Progress | None = None) -> int:
    """Create the partners and their grants in one transaction; return how many."""
    pages = {page.slug: page for page in db.session.scalars(select(StatusPage))}
    return partners.import_partners(
        actor,
        [
            partners.NewPartner(
                row.line, row.email, row.name, row.company, [pages[slug] for slug in row.slugs]
            )
            for row in rows
        ],
        progress,
    )


def import_partners(data: bytes, actor: Actor) -> int:
    """Check and import a whole file (raises ImportRejected); return how many were added."""
    return apply(parse(decode(data)), actor)
