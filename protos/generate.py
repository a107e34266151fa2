"""Regenerate (or check) the Python modules of every ``.proto`` under ``protos/``.

Run from anywhere as ``python -m protos.generate`` (``tox -e protos``). With
``--check`` it generates into a temporary directory and fails if the committed
modules differ, which catches a ``.proto`` edited without regenerating.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.resources
import pathlib
import shutil
import sys
import tempfile
from collections.abc import Sequence

from grpc_tools import protoc

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOS = REPO_ROOT / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[pathlib.Path]:
    """Every ``.proto`` file, relative to the repository root."""
    return sorted(p.relative_to(REPO_ROOT) for p in PROTOS.rglob("*.proto"))


def generated_files(proto: pathlib.Path) -> list[pathlib.Path]:
    """The modules protoc writes for ``proto`` (relative paths)."""
    stem = proto.with_suffix("")
    return [stem.parent / (stem.name + suffix) for suffix in GENERATED_SUFFIXES]


def generate(out_dir: pathlib.Path) -> None:
    """Run protoc on every proto, writing the modules under ``out_dir``."""
    # The include directory of grpc_tools holds the well-known types (timestamp, ...).
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    args = ["grpc_tools.protoc", f"-I{REPO_ROOT}", f"-I{well_known}",
            f"--python_out={out_dir}", f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}", *map(str, proto_files())]
    # protoc resolves the relative proto paths against the include path.
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))


def differences() -> list[str]:
    """Generated modules that are missing or differ from a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = pathlib.Path(tmp)
        generate(fresh)
        problems = []
        for proto in proto_files():
            for module in generated_files(proto):
                committed = REPO_ROOT / module
                if not committed.exists():
                    problems.append(f"{module}: missing")
                elif not filecmp.cmp(committed, fresh / module, shallow=False):
                    problems.append(f"{module}: differs from the generated one")
        return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the modules, or with ``--check`` report drift; returns the exit code."""
    parser = argparse.ArgumentParser(prog="protos.generate", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="Fail if the committed modules differ from a fresh generation.")
    options = parser.parse_args(argv)
    if options.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m protos.generate", file=sys.stderr)
        return 1 if problems else 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(pathlib.Path(tmp))
        for proto in proto_files():
            for module in generated_files(proto):
                shutil.copyfile(pathlib.Path(tmp) / module, REPO_ROOT / module)
    return 0


if __name__ == "__main__":
    sys.exit(main())
