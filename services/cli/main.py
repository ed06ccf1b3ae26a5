# SPDX-License-Identifier: EUPL-1.2
"""The ``strata`` root command: wires the commands and turns errors into messages + codes."""

from __future__ import annotations

import gettext
import sys
from typing import Any

import click
import pydantic
from pydantic_settings import BaseSettings

from geo.errors import StrataError
from services.cli import (
    apikey,
    changes,
    config,
    db,
    geolocate,
    history,
    importing,
    layers,
    link,
    load,
    serve,
    snapshot,
    surfaces,
)
from services.cli.click_text import helped, spoken
from services.cli.common import ExitCode, exit_code
from services.error_text import cli_error, cli_language, translate
from services.settings import StoreSettings, reason
from services.store import Store


class StrataGroup(click.Group):
    """A group that reports :class:`StrataError`, and a setting of the environment that is
    not valid, as a message with a hint and an exit code; click's own texts (usage, the
    errors it finds in a command line) in the command line's language."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        lang = cli_language()
        with spoken(lang):
            helped(self, lang)  # the commands' and options' own help
            for param in self.params:  # its help was written when the option was made
                if param.name == "version" and isinstance(param, click.Option):
                    param.help = gettext.gettext("Show the version and exit.")
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StrataError as exc:  # in the user's language (services/error_text.py)
            word, message, hint = cli_error(exc.message, exc.hint)
            click.echo(f"{word} {message}", err=True)
            if hint:
                click.echo(f"  {hint}", err=True)
            sys.exit(exit_code(exc))
        except pydantic.ValidationError as exc:  # the settings (services/settings.py)
            kinds = {kind.__name__: kind for kind in BaseSettings.__subclasses__()}
            if exc.title not in kinds:
                raise
            prefix = kinds[exc.title].model_config.get("env_prefix") or ""
            hint = ""
            for error in exc.errors():
                # the setting's name and why, never its value (a URL may hold a password)
                name = (prefix + "_".join(str(part) for part in error["loc"])).upper()
                why = reason(dict(error))
                why = translate(why, cli_language()) or why
                word, message, hint = cli_error(
                    f"the setting {name} is not valid: {why}",
                    "set it in the environment to a valid value, or unset it for its "
                    "default (README.md lists the settings)")
                click.echo(f"{word} {message}", err=True)
            click.echo(f"  {hint}", err=True)
            sys.exit(ExitCode.INVALID_INPUT)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: click's own words, in the command line's language when they are said
    (click's ``version_option`` fixes its message when the command is made)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(gettext.gettext("%(prog)s, version %(version)s")
               % {"prog": ctx.find_root().info_name, "version": version("strata")})
    ctx.exit()


@click.group(cls=StrataGroup)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_version, help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Strata: every edition of the Brussels map, and the map as it was on any date."""
    ctx.obj = Store(StoreSettings())


for module in (db, config, importing, load, layers, snapshot, changes, history, geolocate,
               link, apikey, serve, surfaces):
    cli.add_command(module.command)


def main() -> None:
    """Entry point of the ``strata`` script."""
    cli(prog_name="strata")


if __name__ == "__main__":
    main()
