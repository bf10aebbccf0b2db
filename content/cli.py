"""``hallkiosk content validate|build|pack|publish|import-law``, ``keygen`` and ``calc``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _content_validate(args: argparse.Namespace) -> int:
    from content.errors import ContentInvalid
    from content.loader import load_source

    try:
        content = load_source(args.src, require_english=args.english)
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {args.src}", file=sys.stderr)
        return 1
    print(f"{args.src}: OK — {len(content.categories)} categories, {len(content.guides)} "
          f"guides, {len(content.points)} service points, {len(content.faq)} FAQ entries, "
          f"{len(content.online)} online services, {len(content.flows)} flows, "
          f"{len(content.slides)} slides"
          + (f", {len(content.laws)} laws, {len(content.cases)} cases, "
             f"{len(content.figures)} figures" if content.laws or content.figures else ""))
    return 0


def _content_build(args: argparse.Namespace) -> int:
    from content.errors import ContentInvalid
    from content.signing import (
        CHANNEL,
        HALL,
        SignatureInvalid,
        build_signed_bundle,
        load_private_key,
    )

    if not CHANNEL.match(args.channel):
        print(f"bad channel {args.channel!r}: up to 8 lower-case letters, digits or '-'",
              file=sys.stderr)
        return 2
    if args.hall is not None and not HALL.match(args.hall):
        print(f"bad hall code {args.hall!r}", file=sys.stderr)
        return 2
    what = f"hall {args.hall} overlay" if args.hall else "province bundle"
    print(f"validating and building {args.src} ({what}, channel {args.channel}) …",
          file=sys.stderr)
    try:
        key = load_private_key(args.key) if args.key else None
        manifest = build_signed_bundle(args.src, args.out, key=key, channel=args.channel,
                                       hall=args.hall)
    except SignatureInvalid as exc:
        print(exc, file=sys.stderr)
        return 2
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        print(f"{len(exc.errors)} error(s); nothing written", file=sys.stderr)
        return 1
    size = sum(f["size"] for f in manifest["files"].values())
    signed = "signed" if args.key else "UNSIGNED (development only; publishing needs --key)"
    print(f"bundle {manifest['version']} written to {args.out} "
          f"({len(manifest['files'])} files, {size:,} bytes, {signed})")
    if args.hall is not None and args.province is not None:
        _check_against_province(args.src, args.hall, args.province)
    return 0


def _check_against_province(src: Path, hall: str, province: Path) -> None:
    """Warn about what a terminal would leave out when it merges the overlay over province."""
    from content.errors import ContentInvalid
    from content.loader import load_source
    from content.merge import overlay_problems
    from content.overlay import load_overlay

    try:
        problems = overlay_problems(load_source(province), load_overlay(src, hall))
    except ContentInvalid as exc:
        print(f"warning: province source {province} has {len(exc.errors)} error(s); the "
              "overlay's references were not checked", file=sys.stderr)
        return
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"checked against {province}: {len(problems)} warning(s)", file=sys.stderr)


def _content_pack(args: argparse.Namespace) -> int:
    from content.pack import PackError, pack_bundle

    try:
        manifest = pack_bundle(args.dir, args.out)
    except PackError as exc:
        print(f"pack failed: {exc}", file=sys.stderr)
        return 1
    print(f"bundle {manifest['version']} packed into {args.out} "
          f"({len(manifest['files'])} files); upload it on the server's /content page")
    return 0


def _content_publish(args: argparse.Namespace) -> int:
    import getpass

    from content.publish import PublishError, publish

    password = (sys.stdin.readline().rstrip("\r\n") if args.password_stdin
                else getpass.getpass(f"password for {args.user}: "))
    try:
        publish(args.dir, args.server, args.user, password)
    except PublishError as exc:
        print(f"publish failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _content_import_law(args: argparse.Namespace) -> int:
    from content.laws.importer import import_law, law_yaml

    code = args.code or args.file.stem
    try:
        imported = import_law(args.file, code, issuer=args.issuer,
                              promulgated=args.promulgated, in_force=args.in_force,
                              topics=args.topic)
    except (OSError, ValueError, ImportError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    for problem in imported.problems:
        print(f"{args.file}:{problem.line}: {problem.message}: {problem.text[:40]}",
              file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{code}.yaml"
    target.write_text(law_yaml(imported.data), encoding="utf-8")
    missing = [f for f in ("issuer", "promulgated", "in_force", "topics")
               if f not in imported.data]
    print(f"{imported.data['title']}: {imported.article_count()} articles written to {target}"
          + (f"; fill in {', '.join(missing)} before validating" if missing else ""))
    return 1 if imported.problems else 0


def _keygen(args: argparse.Namespace) -> int:
    from content.signing import generate_key

    try:
        public = generate_key(args.out)
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"signing key written to {args.out} (mode 0600: keep it with the content editor)\n"
          f"public key written to {public} (set content_public_key on the server to it)")
    return 0


def register(commands: Any) -> None:
    """Add the content commands to the hallkiosk command line."""
    content = commands.add_parser("content", help="validate, build and publish content",
                                  description="Validate, build, sign and publish content.")
    content_commands = content.add_subparsers(dest="content_command", required=True,
                                              metavar="ACTION")
    validate = content_commands.add_parser(
        "validate", help="check a source folder and report every error",
        description="Check a content source folder; every error is reported with file, line "
        "or row, item and field. Exit status 1 when there are errors.")
    validate.add_argument("src", type=Path, help="content source folder")
    validate.add_argument("--english", action="store_true",
                          help="also report every visitor text that has no English")
    validate.set_defaults(func=_content_validate)
    _register_build(content_commands)
    _register_pack_and_publish(content_commands)
    _register_import_law(content_commands)
    _register_keygen(commands)

    from content.answers.cli import register as register_ask

    register_ask(commands)

    from content.calculators.cli import register as register_calc

    register_calc(commands)


def _register_build(content_commands: Any) -> None:
    build = content_commands.add_parser(
        "build", help="validate a source folder and write a bundle",
        description="Validate a source folder, precompute the search index, hash every file "
        "and write the bundle with its manifest; with --key, sign the manifest (manifest.sig).")
    build.add_argument("src", type=Path, help="content source folder (or a hall overlay "
                       "folder with --hall)")
    build.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    build.add_argument("--key", type=Path, help="Ed25519 signing key (from hallkiosk keygen); "
                       "writes manifest.sig. Without it the bundle is unsigned (development)")
    build.add_argument("--channel", default="stable", help="content channel (default stable)")
    build.add_argument("--hall", metavar="CODE", help="build a hall overlay for this hall "
                       "(points.csv, guides/, slides/, hide.yaml, notices.yaml, windows.yaml) "
                       "instead of a province bundle")
    build.add_argument("--province", metavar="SRC", type=Path,
                       help="with --hall: also warn about what the overlay names that this "
                       "province source lacks (a guide's category or online service, hidden "
                       "ids); terminals leave such items out")
    build.set_defaults(func=_content_build)


def _register_pack_and_publish(content_commands: Any) -> None:
    pack = content_commands.add_parser(
        "pack", help="pack a signed bundle into one zip for upload in the browser",
        description="Check every file of a signed bundle folder against its manifest and "
        "write manifest.json, manifest.sig and the listed files into one zip, to upload on "
        "the server's content page (/content). Any zip tool works too: zip the folder's "
        "contents, or the folder itself.")
    pack.add_argument("dir", type=Path, help="bundle folder written by content build --key")
    pack.add_argument("--out", type=Path, required=True, metavar="FILE.zip",
                      help="zip file to write (replaced if it exists)")
    pack.set_defaults(func=_content_pack)
    publish = content_commands.add_parser(
        "publish", help="upload a signed bundle to the server",
        description="Sign in with an editor account, upload the files the server does not "
        "have yet, then the signed manifest. Terminals pick it up at their next sync.")
    publish.add_argument("dir", type=Path, help="bundle folder written by content build --key")
    publish.add_argument("--server", required=True, help="server URL, e.g. https://host:8348")
    publish.add_argument("--user", required=True, help="editor username")
    publish.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of standard input")
    publish.set_defaults(func=_content_publish)


def _register_import_law(content_commands: Any) -> None:
    import_law = content_commands.add_parser(
        "import-law", help="read an official law text (.txt or .docx) into laws/CODE.yaml",
        description="Read an official text in the layout of the national laws and regulations "
        "database (title line, 第一章 …, 第一节 …, 第一条 …, paragraphs continuing an article) "
        "and write it as a law file. Every line that cannot be placed is reported with its "
        "line number (exit status 1); the articles that could be placed are still written.")
    import_law.add_argument("file", type=Path, help="the official text (.txt UTF-8/GB18030, "
                            ".docx with python-docx installed)")
    import_law.add_argument("--code", help="law code (default: the file name without suffix)")
    import_law.add_argument("--out", type=Path, default=Path("laws"),
                            help="folder to write CODE.yaml into (default ./laws)")
    import_law.add_argument("--issuer", help="issuing body (制定机关)")
    import_law.add_argument("--promulgated", help="date promulgated, YYYY-MM-DD")
    import_law.add_argument("--in-force", help="date in force, YYYY-MM-DD")
    import_law.add_argument("--topic", action="append", default=[],
                            help="topic code (repeat for several)")
    import_law.set_defaults(func=_content_import_law)


def _register_keygen(commands: Any) -> None:
    keygen = commands.add_parser(
        "keygen", help="make an Ed25519 content signing key",
        description="Write a new Ed25519 signing key (PEM, mode 0600) to KEYFILE and its "
        "public key (base64) to KEYFILE.pub. Refuses to overwrite existing files.")
    keygen.add_argument("--out", type=Path, required=True, metavar="KEYFILE",
                        help="where to write the private key")
    keygen.set_defaults(func=_keygen)
