"""`survey instruments ...`: inspect, check and publish the instrument files. Plain click, no
Flask: these commands must work when the app cannot start. Attach with
`cli.add_command(instruments)`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from survey.cli_support import fail
from survey.config import DEFAULTS, from_environment
from survey.instruments import (
    InstrumentError,
    InstrumentErrors,
    InstrumentRegistry,
    UnknownInstrument,
    load_registry,
    publish,
)
from survey.instruments.schema import InstrumentVersion, Text


def _registry_dir() -> Path:
    settings = {**DEFAULTS, **from_environment(os.environ)}
    return Path(settings["INSTRUMENTS_DIR"])


@click.group(cls=click.Group)  # plain click: these commands must run even when the app cannot start
def instruments() -> None:
    """Inspect, check and publish the instrument files in instruments/."""


def _load(check_lock: bool = True) -> InstrumentRegistry:
    try:
        return load_registry(_registry_dir(), check_lock=check_lock)
    except (InstrumentError, InstrumentErrors) as exc:
        fail(str(exc))
        raise  # unreachable: _fail exits


@instruments.command("list")
def instruments_list() -> None:
    """Every instrument version: kind, number of items and whether it is published."""
    registry = _load()
    click.echo(f"{'id':<12} {'version':>7}  {'kind':<10} {'items':>5}  {'status':<9} title")
    for v in registry:
        status = "published" if v.published else "draft"
        click.echo(
            f"{v.id:<12} {'v' + str(v.version):>7}  {v.kind.value:<10} "
            f"{len(v.item_codes):>5}  {status:<9} {v.title.en}"
        )


@instruments.command("check")
def instruments_check() -> None:
    """Load every file and check it against published.lock; exit 1 on any problem."""
    registry = _load()
    drafts = [v.key for v in registry if not v.published]
    click.echo(
        f"OK: {len(registry)} instrument versions load and every published one is unchanged."
    )
    if drafts:
        click.echo(f"Not yet published: {', '.join(drafts)} (survey instruments publish ID N).")


@instruments.command("show")
@click.argument("instrument_id")
@click.option("--version", "version", type=int, help="Default: the newest version.")
@click.option("--lang", type=click.Choice(["da", "en", "both"]), default="both")
def instruments_show(instrument_id: str, version: int | None, lang: str) -> None:
    """The content of one version, includes expanded."""
    registry = _load(check_lock=False)
    try:
        definition = (
            registry.get(instrument_id, version)
            if version
            else registry.latest(instrument_id, published_only=False)
        )
    except UnknownInstrument as exc:
        fail(f"{exc}. Known: {', '.join(registry.ids())}", code=2)
        return
    click.echo(_describe(definition, lang))


def _describe(v: InstrumentVersion, lang: str) -> str:
    langs = ("da", "en") if lang == "both" else (lang,)

    def text(t: Text) -> str:
        return " / ".join(getattr(t, code) for code in langs)

    lines = [
        f"{v.id} v{v.version} ({v.kind.value}, {'published' if v.published else 'draft'}): "
        f"{text(v.title)}",
        f"  file: {v.path}",
        f"  source: {v.source}",
        f"  terms: {v.terms}",
    ]
    if v.includes:
        lines.append("  includes: " + ", ".join(f"{i} v{n}" for i, n in v.includes))
    for section in v.sections:
        lines.append(f"\n[{section.id}] {text(section.title)}")
        if section.stem:
            lines.append(f"  {text(section.stem)}")
        for item in section.items:
            flags = [item.type.value]
            if item.baseline:
                flags.append("baseline")
            if item.show_when:
                flags.append(f"when {item.show_when.item} in {list(item.show_when.values)}")
            if item.type.value == "integer":
                flags.append(f"{item.min}–{item.max}")
            lines.append(f"  {item.code} ({', '.join(flags)}): {text(item.text)}")
            for option in item.answers:
                special = f" [{option.special.value}]" if option.special else ""
                lines.append(f"      {option.code:>2} {text(option.label)}{special}")
    for rule in v.scores:
        bands = ", ".join(f"≤{b.max:g} {b.code}" for b in rule.bands)
        lines.append(
            f"\nscore {rule.code}: {rule.method} of {', '.join(rule.items)} "
            f"× {rule.multiply:g}, require {rule.require}; bands {bands}"
        )
    return "\n".join(lines)


@instruments.command("publish")
@click.argument("instrument_id")
@click.argument("version", type=int)
def instruments_publish(instrument_id: str, version: int) -> None:
    """Freeze a version: record its digest in published.lock. It can never change after this."""
    directory = _registry_dir()
    try:
        digest = publish(directory, instrument_id, version)
    except (InstrumentError, InstrumentErrors, UnknownInstrument) as exc:
        fail(str(exc))
        return
    click.echo(
        f"Published {instrument_id} v{version} ({digest[:19]}…) in {directory.name}/"
        "published.lock; commit that file with the instrument."
    )
