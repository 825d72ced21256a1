"""Every kind of export, named once: the export page's choices and downloads and the
`survey export` commands are all made from EXPORTS and DOWNLOADS. The writing itself is in
survey.interop.exporting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement
from sqlmodel import Session

from survey.instruments import InstrumentRegistry
from survey.interop import exporting
from survey.interop.pseudonyms import Pseudonyms
from survey.models import User

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "zip": "application/zip",
}
BINARY = frozenset({"xlsx"})  # written to a binary stream; the other formats are text


@dataclass(frozen=True)
class Options:
    """What the caller decides: whose citizens, which ids, who asks, which separator."""

    citizen_filter: ColumnElement[bool] | None = None
    pseudonyms: Pseudonyms | None = None
    actor: User | None = None
    delimiter: str = ","


@dataclass(frozen=True)
class FileExport:
    """An export that is one file, in one of `formats` (the first is the default)."""

    name: str  # survey export NAME
    stem: str  # a download is called STEM-DATE.EXT
    help: str  # the command's help
    formats: tuple[str, ...]
    real_references_option: bool  # the command has --real-references
    semicolon_option: bool  # the command has --semicolon
    write: Callable[[Session, InstrumentRegistry, IO[Any], str, Options], exporting.ExportResult]


@dataclass(frozen=True)
class FolderExport:
    """An export that is several files in a folder (the page hands them out as one ZIP)."""

    name: str
    stem: str
    help: str
    real_references_option: bool
    semicolon_option: bool
    write: Callable[[Session, InstrumentRegistry, Path, Options], list[Path]]


Export = FileExport | FolderExport


def _whose(o: Options) -> dict[str, Any]:
    """The options every export of citizens' data takes: whose, under which ids, asked by whom."""
    return {"citizen_filter": o.citizen_filter, "pseudonyms": o.pseudonyms, "actor": o.actor}


def _citizens(
    session: Session, registry: InstrumentRegistry, out: IO[Any], fmt: str, o: Options
) -> exporting.ExportResult:
    return exporting.export_citizens(session, out, delimiter=o.delimiter, **_whose(o))


def _long(
    session: Session, registry: InstrumentRegistry, out: IO[Any], fmt: str, o: Options
) -> exporting.ExportResult:
    return exporting.export_long(session, registry, out, delimiter=o.delimiter, **_whose(o))


def _wide(
    session: Session, registry: InstrumentRegistry, out: IO[Any], fmt: str, o: Options
) -> exporting.ExportResult:
    wide_fmt: Literal["csv", "xlsx"] = "xlsx" if fmt == "xlsx" else "csv"
    return exporting.export_wide(
        session, registry, out, fmt=wide_fmt, delimiter=o.delimiter, **_whose(o)
    )


def _codebook(
    session: Session, registry: InstrumentRegistry, out: IO[Any], fmt: str, o: Options
) -> exporting.ExportResult:
    return exporting.export_codebook(
        session,
        registry,
        out,
        fmt="xlsx" if fmt == "xlsx" else "md" if fmt == "md" else "csv",
        actor=o.actor,
        delimiter=o.delimiter,
    )


def _fhir(
    session: Session, registry: InstrumentRegistry, directory: Path, o: Options
) -> list[Path]:
    return exporting.export_fhir(session, registry, directory, **_whose(o))


def _package(
    session: Session, registry: InstrumentRegistry, directory: Path, o: Options
) -> list[Path]:
    return exporting.export_package(
        session, registry, directory, delimiter=o.delimiter, **_whose(o)
    )


CITIZENS = FileExport(
    name="citizens",
    stem="citizens",
    help="The citizens file, in the import format.",
    formats=("csv",),
    real_references_option=True,
    semicolon_option=True,
    write=_citizens,
)
LONG = FileExport(
    name="long",
    stem="answers-long",
    help="Every submitted answer, one row each, in the import format.",
    formats=("csv",),
    real_references_option=True,
    semicolon_option=True,
    write=_long,
)
WIDE = FileExport(
    name="wide",
    stem="answers-wide",
    help="One row per citizen and point: items, scores, form versions, modes, dates and status.",
    formats=("csv", "xlsx"),
    real_references_option=True,
    semicolon_option=True,
    write=_wide,
)
CODEBOOK = FileExport(
    name="codebook",
    stem="codebook",
    help="What every column of the wide export means: codes, labels, missing values, scoring.",
    formats=("csv", "xlsx", "md"),
    real_references_option=False,
    semicolon_option=False,  # the page's semicolon choice still reaches its CSV
    write=_codebook,
)
FHIR = FolderExport(
    name="fhir",
    stem="fhir",
    help="A FHIR R4 Bundle per form version (Questionnaire and QuestionnaireResponses) in "
    "DIRECTORY.",
    real_references_option=True,
    semicolon_option=False,
    write=_fhir,
)
PACKAGE = FolderExport(
    name="package",
    stem="evaluator-package",
    help="The evaluator's package in DIRECTORY: citizens, long and wide answers (CSV and XLSX) "
    "and\nthe codebook (CSV, Markdown, XLSX), with ids that join across the files.",
    real_references_option=True,
    semicolon_option=True,
    write=_package,
)
EXPORTS: tuple[Export, ...] = (CITIZENS, LONG, WIDE, CODEBOOK, FHIR, PACKAGE)


@dataclass(frozen=True)
class Download:
    """One choice on the export page: an export in one format (a folder export as a ZIP)."""

    export: Export
    ext: str
    label: LazyString

    @property
    def value(self) -> str:
        """The form's value: the export's name, with the format when it has several."""
        if isinstance(self.export, FileExport) and len(self.export.formats) > 1:
            return f"{self.export.name}-{self.ext}"
        return self.export.name

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.ext]

    def file_name(self, stamp: str) -> str:
        return f"{self.export.stem}-{stamp}.{self.ext}"


# In the page's order.
DOWNLOADS = (
    Download(
        PACKAGE,
        "zip",
        _l("Evaluator package: citizens, answers long and wide, codebook, with the same ids (ZIP)"),
    ),
    Download(CITIZENS, "csv", _l("Citizens (CSV, the import format)")),
    Download(LONG, "csv", _l("Answers, long: one row per answer (CSV, the import format)")),
    Download(WIDE, "csv", _l("Answers, wide: one row per citizen and point, with scores (CSV)")),
    Download(WIDE, "xlsx", _l("Answers, wide: one row per citizen and point, with scores (Excel)")),
    Download(CODEBOOK, "xlsx", _l("Codebook (Excel)")),
    Download(CODEBOOK, "csv", _l("Codebook (CSV)")),
    Download(CODEBOOK, "md", _l("Codebook (Markdown)")),
    Download(FHIR, "zip", _l("FHIR R4: Questionnaire and QuestionnaireResponse bundles (ZIP)")),
)
DOWNLOADS_BY_VALUE = {download.value: download for download in DOWNLOADS}
