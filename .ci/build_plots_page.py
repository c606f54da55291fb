"""Write .dvc/plots/offline.html, the page `dvc plots show` and `dvc plots diff` fill
(`plots.html_template` in .dvc/config), with vega, vega-lite and vega-embed inlined.

DVC's own page loads these three scripts from a CDN, so it is blank without internet. Inlined,
the page needs nothing but itself, wherever `-o` writes it (a relative <script src> would
break with `-o` or when run from a subfolder). The scripts are the packages' own minified
builds, byte for byte, at the versions pinned below (BSD-3-Clause: .dvc/plots/LICENSES.md).

Usage: python .ci/build_plots_page.py   (needs npm and the npm registry; CI runs it and fails
if the committed page differs, so the page is always exactly these npm files).
"""

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {"vega": "5.33.1", "vega-lite": "5.23.0", "vega-embed": "6.29.0"}  # load order
PAGE = Path(__file__).resolve().parents[1] / ".dvc" / "plots" / "offline.html"
# DVC fills {refresh_tag} and {plot_divs}; no {scripts}: that is where DVC puts the CDN tags.
HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC plots</title>
<!-- Written by .ci/build_plots_page.py: %s from npm, inlined so that
     this page renders without internet. Licenses: .dvc/plots/LICENSES.md. -->
"""
TAIL = """<style>
table { border-spacing: 15px; }
/* Image plots (the report's PNGs): DVC sets each revision's image side by side at its full size,
   which from two revisions on overflows the window and cuts the last off. They share the width. */
div:has(> div > img) { display: flex; flex-wrap: wrap; justify-content: center; }
div:has(> div > img) > p { flex-basis: 100%; }
div:has(> img) { flex: 1 1 0; min-width: 0; }
div:has(> img) > img { max-width: 100%; height: auto; }
</style>
</head>
<body>
{plot_divs}
</body>
</html>
"""


def minified_build(name, version, folder):
    """The package's build/<name>.min.js, from the tarball npm downloads and checks."""
    tarball = subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", folder],
                             check=True, capture_output=True, text=True).stdout.split()[-1]
    with tarfile.open(Path(folder) / tarball) as archive:
        return archive.extractfile(f"package/build/{name}.min.js").read().decode("utf-8")


def page(scripts):
    for script in scripts:
        if "</script" in script or any(f"{{{p}}}" in script for p in ("plot_divs", "refresh_tag")):
            raise ValueError("a script holds text that would break the page; inline it differently")
    names = ", ".join(f"{name}@{version}" for name, version in PACKAGES.items())
    return HEAD % names + "".join(f"<script>{script}</script>\n" for script in scripts) + TAIL


def main():
    with tempfile.TemporaryDirectory() as folder:
        scripts = [minified_build(name, version, folder) for name, version in PACKAGES.items()]
    PAGE.write_text(page(scripts), encoding="utf-8")
    print(f"wrote {PAGE} ({PAGE.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    sys.exit(main())
