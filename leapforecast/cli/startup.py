"""What Typer does at start-up, trimmed to what the command being run needs (issue 18).

Two costs of a recent Typer that every command paid, though neither changes what it does:

* ``typer.main.get_command`` inspects every command's signature (15 commands, ~16 ms) to build
  the Click group, when one command runs. ``command_for`` builds the group with only that
  command whenever the command line names one plainly (global flags, then the command); for
  anything else (``--help``, an unknown or misspelt command, shell completion) it builds the
  whole group, so listings and "did you mean" suggestions are unchanged.
* Typer coerces each parameter's value through a Pydantic ``TypeAdapter`` it builds on first
  use: importing Pydantic's adapter machinery and building ~20 adapters for ``run`` (~55 ms)
  although most options are left unset. ``defer_coercion`` builds a parameter's adapter only
  for a value that needs one: an unset option (``None``) and a default that already has the
  declared type pass as they are, exactly as Typer would return them; anything from the command
  line or the environment goes through Typer's own coercion, unchanged.

Neither parses anything itself: Click and Typer still do all of the parsing and validation.
"""

from __future__ import annotations

import copy
import os
import typing
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import typer
    from typer._click import Command, Context, Parameter

# group options that take no value, so the first other word is the command's name
_GLOBAL_FLAGS = frozenset({"--debug", "--quiet", "-q"})
_COMPLETE_VAR = "_LEAPFORECAST_COMPLETE"  # set by the shell completion script


def command_for(app: typer.Typer, args: list[str]) -> Command:
    """The Click command for ``args``: the group with only the named command when the command
    line plainly names one, else the whole group."""
    import typer.main

    name = _command_name(args)
    names = [info.name for info in app.registered_commands]
    if name is None or name not in names or os.environ.get(_COMPLETE_VAR):
        command = typer.main.get_command(app)
    else:
        only = copy.copy(app)
        only.registered_commands = [info for info in app.registered_commands if info.name == name]
        command = typer.main.get_command(only)
    defer_coercion(command)
    return command


def _command_name(args: list[str]) -> str | None:
    for arg in args:
        if arg not in _GLOBAL_FLAGS:
            return None if arg.startswith("-") else arg
    return None


class _Deferred:
    """Typer's runtime coercion for one parameter, built the first time a value needs it."""

    def __init__(self, param: Any) -> None:
        self._param = param
        self._built: Any = None

    def coerce(self, value: Any, param: Parameter, ctx: Context) -> Any:
        if value is None:  # what Typer's RuntimeParam.coerce returns for an unset value
            return () if (param.multiple or param.nargs == -1) else None
        if _typed_default(value, param, ctx):
            return value
        if self._built is None:
            from typer._coercion import build_runtime_param

            self._built = build_runtime_param(self._param.type_descriptor)
        return self._built.coerce(value, param=param, ctx=ctx)


def _typed_default(value: Any, param: Parameter, ctx: Context) -> bool:
    """A default from the signature that already is an instance of the declared scalar type
    (``Format.table`` for ``Format``, ``1`` for ``int``): Typer's adapter returns it as is."""
    from typer._click.core import ParameterSource

    if param.name is None or ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
        return False
    annotation = getattr(param, "type_descriptor").annotation  # noqa: B009 - Typer's parameter
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return any(
        type(value) is kind and (kind in (int, float, str) or issubclass(kind, Enum))
        for kind in kinds
        if isinstance(kind, type)
    )


def _defer(param: Any) -> None:
    if getattr(param, "_runtime_param", 0) is None and hasattr(param, "type_descriptor"):
        param._runtime_param = _Deferred(param)


def defer_coercion(command: Command) -> None:
    """Give every Typer parameter of ``command`` (and its subcommands), ``--help`` included, a
    deferred coercion. A Typer without per-parameter runtime coercion (older releases) is left
    as it is."""
    for param in command.params:
        _defer(param)
    get_help_option = command.get_help_option  # made on first use, so deferred then

    def deferred_help_option(ctx: Context) -> Any:
        option = get_help_option(ctx)
        if option is not None:
            _defer(option)
        return option

    command.get_help_option = deferred_help_option  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():
        defer_coercion(sub)
