"""``hallkiosk content ...``: validate, build and (with the server) publish content."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _content_validate(args: argparse.Namespace) -> int:
    from content.errors import ContentInvalid
    from content.loader import load_source

    try:
        content = load_source(args.src)
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {args.src}", file=sys.stderr)
        return 1
    print(f"{args.src}: OK — {len(content.categories)} categories, {len(content.guides)} "
          f"guides, {len(content.points)} service points, {len(content.faq)} FAQ entries, "
          f"{len(content.online)} online services, {len(content.flows)} flows, "
          f"{len(content.slides)} slides")
    return 0


def _content_build(args: argparse.Namespace) -> int:
    from content.bundle import build_bundle
    from content.errors import ContentInvalid

    print(f"validating and building {args.src} …", file=sys.stderr)
    try:
        manifest = build_bundle(args.src, args.out)
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        print(f"{len(exc.errors)} error(s); nothing written", file=sys.stderr)
        return 1
    size = sum(f["size"] for f in manifest["files"].values())
    print(f"bundle {manifest['version']} written to {args.out} "
          f"({len(manifest['files'])} files, {size:,} bytes)")
    return 0


def register(commands: Any) -> None:
    """Add the content commands to the hallkiosk command line."""
    content = commands.add_parser("content", help="validate and build content",
                                  description="Validate and build content bundles.")
    content_commands = content.add_subparsers(dest="content_command", required=True,
                                              metavar="ACTION")
    validate = content_commands.add_parser(
        "validate", help="check a source folder and report every error",
        description="Check a content source folder; every error is reported with file, line "
        "or row, item and field. Exit status 1 when there are errors.")
    validate.add_argument("src", type=Path, help="content source folder")
    validate.set_defaults(func=_content_validate)
    build = content_commands.add_parser(
        "build", help="validate a source folder and write a bundle",
        description="Validate a source folder, precompute the search index, hash every file "
        "and write the bundle with its manifest.")
    build.add_argument("src", type=Path, help="content source folder")
    build.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    build.set_defaults(func=_content_build)

