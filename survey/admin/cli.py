"""`survey teams ...`: teams from the command line, on the admin page's service and audited
like it (with no user: the command line has none). Attach with `cli.add_command(teams)`."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlmodel import col

from survey.admin.services import (
    RANGES,
    TeamError,
    TeamSettings,
    create_team,
    update_team,
)
from survey.cli_support import fail
from survey.db import session_scope
from survey.models import Team
from survey.refusals import refused

_INTERVAL = RANGES["measurement_interval_months"]
_WINDOW = RANGES["window_days"]


@click.group(cls=AppGroup)
def teams() -> None:
    """List, create and change teams (every change is audited)."""


def _describe(team: Team) -> str:
    counts = "hidden" if team.suppress_small_cells else "shown"
    return (
        f"{team.name}: every {team.measurement_interval_months} months, window ±"
        f"{team.window_days} days, small counts {counts}"
    )


@teams.command("list")
@with_appcontext
def teams_list() -> None:
    """Every team with its measurement rhythm and small-count setting."""
    with session_scope() as session:
        rows = list(session.execute(select(Team).order_by(col(Team.name))).scalars())
    click.echo(f"{'name':<30} {'months':>6} {'± days':>6}  small counts")
    for team in rows:
        click.echo(
            f"{team.name:<30} {team.measurement_interval_months:>6} {team.window_days:>6}  "
            f"{'hidden' if team.suppress_small_cells else 'shown'}"
        )


def _refuse(name: str, exc: TeamError) -> None:
    fail(refused(name, exc), code=2)


_suppress_help = 'Show project leaders counts of 1–4 citizens as "<5" in reports.'


@teams.command("create")
@click.argument("name")
@click.option(
    "--interval",
    type=int,
    default=TeamSettings.measurement_interval_months,
    show_default=True,
    help=f"Months between measurements ({_INTERVAL[0]}–{_INTERVAL[1]}).",
)
@click.option(
    "--window",
    type=int,
    default=TeamSettings.window_days,
    show_default=True,
    help=f"Days before and after the due date ({_WINDOW[0]}–{_WINDOW[1]}).",
)
@click.option(
    "--suppress-small-cells/--show-small-cells",
    default=TeamSettings.suppress_small_cells,
    show_default=True,
    help=_suppress_help,
)
@with_appcontext
def teams_create(name: str, interval: int, window: int, suppress_small_cells: bool) -> None:
    """Create a team."""
    settings = TeamSettings(name, interval, window, suppress_small_cells)
    with session_scope() as session:
        try:
            team = create_team(session, settings)
        except TeamError as exc:
            _refuse(name, exc)
            return
    click.echo(f"Created {_describe(team)}.")


@teams.command("update")
@click.argument("name")
@click.option("--name", "new_name", help="A new name for the team.")
@click.option(
    "--interval",
    type=int,
    help=f"Months between measurements ({_INTERVAL[0]}–{_INTERVAL[1]}).",
)
@click.option(
    "--window",
    type=int,
    help=f"Days before and after the due date ({_WINDOW[0]}–{_WINDOW[1]}).",
)
@click.option("--suppress-small-cells/--show-small-cells", default=None, help=_suppress_help)
@with_appcontext
def teams_update(
    name: str,
    new_name: str | None,
    interval: int | None,
    window: int | None,
    suppress_small_cells: bool | None,
) -> None:
    """Change a team (found by its NAME); what is not given stays as it is."""
    with session_scope() as session:
        team = session.execute(select(Team).where(col(Team.name) == name)).scalar_one_or_none()
        if team is None:
            fail(f"There is no team {name!r}.", code=2)
        current = TeamSettings.of(team)
        settings = TeamSettings(
            current.name if new_name is None else new_name,
            current.measurement_interval_months if interval is None else interval,
            current.window_days if window is None else window,
            current.suppress_small_cells if suppress_small_cells is None else suppress_small_cells,
        )
        try:
            update_team(session, team, settings)
        except TeamError as exc:
            _refuse(name, exc)
            return
    click.echo(f"Updated {_describe(team)}.")
