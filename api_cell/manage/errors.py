"""Errors a subcommand raises; ``cmd.main`` turns each into a message and an exit code."""

from api_cell.manage import EXIT_REFUSED, EXIT_UNREACHABLE


class ManageError(Exception):
    """A request the command refused, with the exit code to leave with."""

    exit_code = EXIT_REFUSED


class Unreachable(ManageError):
    """A database named in the request or the configuration did not answer."""

    exit_code = EXIT_UNREACHABLE
