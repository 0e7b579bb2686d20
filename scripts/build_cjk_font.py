"""Build nemo_tui/local/assets/NotoSansCJKsc-Regular-subset.otf (run by hand, rarely).

The local backend draws Chinese titles with this font when the machine has no CJK font of its
own. It is the Simplified Chinese face of Noto Sans CJK (OFL 1.1) cut down to what titles need:
the 6,763 hanzi of GB2312, kana, CJK and full-width punctuation, Latin-1 and general
punctuation. 2.9 MB, against 19.5 MB for the whole collection as a PyPI package
(noto-cjk-sans-otc: a 15.5 MB wheel) or 17 MB for one full face.

    pip download --no-deps noto-cjk-sans-otc && unzip noto_cjk_sans_otc-*.whl -d otc
    pip install fonttools   # a build-time tool only, not a dependency of nemo-tui
    python scripts/build_cjk_font.py otc/noto_cjk_sans_otc/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = (Path(__file__).resolve().parent.parent / "nemo_tui" / "local" / "assets"
       / "NotoSansCJKsc-Regular-subset.otf")
SC_FACE = 2  # in NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK, then the Mono faces
FEATURES = ["kern", "liga", "locl", "vert", "palt", "ccmp"]


def gb2312_hanzi() -> set[int]:
    """Every character of the GB2312 table (levels 1 and 2 hanzi and its symbols)."""
    found = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return found


def wanted() -> set[int]:
    """The code points kept in the subset."""
    ranges = [(0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x3000, 0x3100), (0xFF00, 0xFFF0)]
    return gb2312_hanzi() | {cp for lo, hi in ranges for cp in range(lo, hi)}


def main(collection: str) -> None:
    """Subset the SC face of `collection` into OUT."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(collection).fonts[SC_FACE]
    options = subset.Options()
    options.layout_features = FEATURES
    options.name_IDs = ["*"]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted())
    subsetter.subset(font)
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
