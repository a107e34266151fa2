"""Generate etc/cellar.conf.sample from the registered options (``--check``: compare only)."""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

from oslo_config import generator

ROOT = pathlib.Path(__file__).resolve().parent.parent
GENERATOR_CONF = ROOT / "etc" / "cellar-config-generator.conf"
SAMPLE = ROOT / "etc" / "cellar.conf.sample"


def generate(output: pathlib.Path) -> None:
    """Write the sample configuration to ``output``."""
    generator.main(["--config-file", str(GENERATOR_CONF), "--output-file", str(output)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="fail if the committed sample differs from the options")
    args = parser.parse_args()
    if not args.check:
        generate(SAMPLE)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = pathlib.Path(tmp) / "cellar.conf.sample"
        generate(fresh)
        if fresh.read_text() != SAMPLE.read_text():
            print("etc/cellar.conf.sample is stale: run `python -m tools.genconfig`",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
