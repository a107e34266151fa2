"""The guest hostname a server gets when its create named none (before 2.90, or
without ``hostname``): a DNS label made of its name.

The superconductor writes it into the cell's instance row when it places the server;
the API shows it for servers whose row predates that column.
"""

from __future__ import annotations


def from_name(name: str) -> str:
    """A DNS label made of a server's name: lower case, other characters as "-"."""
    label = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower())
    return label.strip("-")[:63] or "server"


def of_request(name: str, spec: dict) -> str:
    """The hostname of a server whose request spec is ``spec``: the one asked for,
    else one made of its name."""
    return spec.get("hostname") or from_name(name)
