"""`survey teams ...`: teams from the command line, on the admin page's service and audited
like it (with no user: the command line has none). Attach with `cli.add_command(teams)`."""

from __future__ import annotations

from typing import Any

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


def _target(share: float | None) -> str:
    return "the programme's" if share is None else f"{share * 100:g} %"


def _describe(team: Team) -> str:
    counts = "hidden" if team.suppress_small_cells else "shown"
    return (
        f"{team.name}: every {team.measurement_interval_months} months, window ±"
        f"{team.window_days} days, small counts {counts}, targets: employment "
        f"{_target(team.target_employment)}, education {_target(team.target_education)}"
    )


PROGRAMME = "default"
"""What --target-employment and --target-education take to go back to the programme's target."""


class Share(click.ParamType):
    """A target as a share from 0 to 1 (0.25 is 25 %), or "default" for the programme's; the
    range is the service's to check, so the command and the page refuse alike."""

    name = "SHARE|default"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().lower() == PROGRAMME:
            return PROGRAMME
        try:
            return float(value.replace(",", "."))
        except ValueError:
            self.fail(f"{value!r} is not a share such as 0.25, nor {PROGRAMME}", param, ctx)


def _share(value: Any, current: float | None = None) -> float | None:
    """The option's value for the service: None (the programme's) for "default", `current`
    when the option is not given."""
    if value is None:
        return current
    return None if value == PROGRAMME else float(value)


_employment_help = (
    "The team's employment target as a share, e.g. 0.25 for 25 %; default: the programme's (20 %)."
)
_education_help = (
    "The team's education target as a share, e.g. 0.2 for 20 %; default: the programme's (15 %)."
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
@click.option("--target-employment", type=Share(), help=_employment_help)
@click.option("--target-education", type=Share(), help=_education_help)
@with_appcontext
def teams_create(
    name: str,
    interval: int,
    window: int,
    suppress_small_cells: bool,
    target_employment: Any,
    target_education: Any,
) -> None:
    """Create a team."""
    settings = TeamSettings(
        name,
        interval,
        window,
        suppress_small_cells,
        target_employment=_share(target_employment),
        target_education=_share(target_education),
    )
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
@click.option("--target-employment", type=Share(), help=_employment_help)
@click.option("--target-education", type=Share(), help=_education_help)
@with_appcontext
def teams_update(
    name: str,
    new_name: str | None,
    interval: int | None,
    window: int | None,
    suppress_small_cells: bool | None,
    target_employment: Any,
    target_education: Any,
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
            target_employment=_share(target_employment, current.target_employment),
            target_education=_share(target_education, current.target_education),
        )
        try:
            update_team(session, team, settings)
        except TeamError as exc:
            _refuse(name, exc)
            return
    click.echo(f"Updated {_describe(team)}.")
