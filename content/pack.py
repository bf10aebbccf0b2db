"""Pack a signed bundle folder into one zip, for upload on the server's content page.

The zip holds ``manifest.json``, ``manifest.sig`` and every file the manifest lists, at
its root, nothing else. Every file is checked against the manifest first, so a folder
changed since the build is refused here rather than on the server. The signing key is
never involved: the bundle was signed by ``hallkiosk content build --key``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from content.bundle import MANIFEST, sha256_file
from content.signing import SIGNATURE, signed_bundle_manifest


class PackError(Exception):
    """The folder cannot be packed; the message says why."""


def pack_bundle(bundle: Path | str, out: Path | str) -> dict[str, Any]:
    """Write the signed bundle folder as a zip at out (replaced atomically); return the manifest."""
    bundle, out = Path(bundle), Path(out)
    try:
        data, signature, manifest = signed_bundle_manifest(bundle)
    except ValueError as exc:
        raise PackError(str(exc)) from None
    files: dict[str, dict[str, Any]] = manifest["files"]
    changed = [name for name, meta in files.items()
               if not (bundle / name).is_file()
               or (bundle / name).stat().st_size != meta["size"]
               or sha256_file(bundle / name) != meta["sha256"]]
    if changed:
        raise PackError(f"{len(changed)} file(s) missing or changed since the build "
                        f"({', '.join(sorted(changed)[:5])}); rebuild the bundle")
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{out.name}-", dir=out.parent)
    os.close(descriptor)
    try:
        with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(bundle / MANIFEST, MANIFEST)
            archive.write(bundle / SIGNATURE, SIGNATURE)
            for member in sorted(files):
                archive.write(bundle / member, member)
        os.chmod(name, 0o644)
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return manifest
