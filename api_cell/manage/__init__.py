"""``cellar-manage``: the operator CLI, one module per subcommand.

Exit codes: 0 success; 1 the request was refused (bad input, duplicate, conflict,
not found); 2 wrong usage; 3 a database could not be reached.
"""

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
