"""What to build for a user's Go program, and the key its build is cached under.

Contract: ``go_target(path)`` takes what the user named (a main package's
directory, or a .go file) and returns a ``GoTarget``: the directory to build
in (the module root when there is a go.mod above, so imports of the module's
own packages work), the ``go build`` arguments that name the program, where
its sources are, and a digest of every file the build reads, so that a
second trace of unchanged code reuses the binary instead of compiling. A
missing path or a directory with no main package is a ``UsageError``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tracer.errors import UsageError

PACKAGE = re.compile(r"^\s*package\s+(\w+)", re.M)
# Bump when the way programs are built changes, so cached binaries are rebuilt.
RECIPE = "go build -gcflags=-l (no inlining into main, so -k frames map to lines)"
BUILD_FLAGS = ("-gcflags=-l",)


@dataclass(frozen=True)
class GoTarget:
    root: Path  # the directory go build runs in
    package: str  # the package dir, relative to root ("." for root itself)
    files: tuple[str, ...]  # go build's arguments after the flags
    digest: str

    @property
    def package_dir(self) -> Path:
        return (self.root / self.package).resolve()


def _module_root(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return None


def go_target(path: Path) -> GoTarget:
    try:
        return _go_target(path.expanduser())
    except OSError as exc:  # a file that cannot be read, a directory named like a file
        raise UsageError(f"{path} cannot be read as a Go program: {exc.strerror or exc}.") from None


def _go_target(path: Path) -> GoTarget:
    if not path.exists():
        raise UsageError(f"No such file or directory: {path}.")
    package_dir = path.parent if path.is_file() else path
    sources = (
        [path]
        if path.is_file()
        else sorted(p for p in path.glob("*.go") if p.is_file() and not p.name.endswith("_test.go"))
    )
    if not sources or not all(p.suffix == ".go" for p in sources):
        raise UsageError(f"{path} is neither a Go file nor a directory of Go files.")
    if not any((m := PACKAGE.search(p.read_text(errors="replace"))) and m.group(1) == "main" for p in sources):
        raise UsageError(
            f"{path} has no main package (no 'package main' in its .go files), so there is nothing to run."
        )
    root = _module_root(package_dir.resolve())
    if root is None:
        root, files = package_dir.resolve(), tuple(p.name for p in sources)
    else:
        files = (
            (str(path.resolve().relative_to(root)),)
            if path.is_file()
            else (f"./{package_dir.resolve().relative_to(root)}",)
        )
    digest = hashlib.sha256(RECIPE.encode())
    for file in sorted(root.rglob("*")):
        if ".git" in file.parts or not file.is_file():
            continue
        if file.suffix == ".go" or file.name in ("go.mod", "go.sum"):
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    digest.update(" ".join(files).encode())
    package = str(package_dir.resolve().relative_to(root))
    return GoTarget(root, package, files, digest.hexdigest()[:20])
