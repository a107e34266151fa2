"""Entry point of ``cellar-manage``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import sqlalchemy as sa

from api_cell.manage import EXIT_UNREACHABLE, cells, database, errors, hosts, instances, status
from common import config


def parser() -> argparse.ArgumentParser:
    """The whole command line of cellar-manage."""
    root = argparse.ArgumentParser(prog="cellar-manage",
                                   description="Operate a Cellar deployment.")
    root.add_argument("--config-file", action="append", default=[],
                      help="configuration file (may be given more than once)")
    subparsers = root.add_subparsers(dest="command", required=True)
    for module in (database, cells, hosts, instances, status):
        module.register(subparsers)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; see the package docstring for exit codes."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    conf_args = [item for path in args.config_file for item in ("--config-file", path)]
    conf = config.load(conf_args, "cellar-manage")
    try:
        return args.func(conf, args)
    except errors.ManageError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except sa.exc.OperationalError as error:
        print(f"error: a database did not answer: {error.orig}", file=sys.stderr)
        return EXIT_UNREACHABLE
