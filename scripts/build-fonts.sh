#!/usr/bin/env bash
# Subset the Noto fonts the public languages need from Debian's fonts-noto-core into the
# static files, as WOFF2 served by the site itself (no outside font host). Tigrinya needs
# Noto Sans Ethiopic (Ge'ez script), Dari and Pashto Noto Naskh Arabic (it has the Pashto
# letters ښ ږ ډ ړ ټ ځ څ ۍ ې and the Persian ones), Ukrainian Noto Sans (Cyrillic). The
# subsets are committed (small, SIL Open Font License 1.1, see fonts/OFL.txt); run this
# again only after changing a range. `scripts/ensure-system.sh` installs fonts-noto-core.
set -euo pipefail
cd "$(dirname "$0")/.."
noto=/usr/share/fonts/truetype/noto
out=src/passerelle/web/static/passerelle/fonts
venv=${VENV:-.venv}
[ -x "$venv/bin/pyftsubset" ] || venv=/work/main/.venv
if [ ! -f "$noto/NotoSansEthiopic-Regular.ttf" ]; then
  echo "error: $noto/NotoSansEthiopic-Regular.ttf missing; run scripts/ensure-system.sh" >&2
  exit 1
fi
mkdir -p "$out"
subset() {  # source file, output name, what to keep (--unicodes=ranges or --text=letters)
  "$venv/bin/pyftsubset" "$noto/$1" --output-file="$out/$2" --flavor=woff2 \
    "$3" --layout-features='*' --no-hinting --desubroutinize
}
# Keep these ranges identical to the `unicode-range` of the @font-face rules in site.css.
subset NotoSansEthiopic-Regular.ttf noto-sans-ethiopic.woff2 --unicodes="U+1200-139F,U+2D80-2DDF,U+AB00-AB2F"
subset NotoNaskhArabic-Regular.ttf noto-naskh-arabic.woff2 --unicodes="U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF,U+200C-200F"
subset NotoSans-Regular.ttf noto-sans-cyrillic.woff2 --unicodes="U+0400-052F,U+1C80-1C8F,U+2116"
# Every page's language switcher names each language in its own script: these tiny subsets
# hold only the letters of those names, so that a French page does not fetch whole scripts.
subset NotoSansEthiopic-Regular.ttf names-ethiopic.woff2 --text="ትግርኛ"
subset NotoSans-Regular.ttf names-cyrillic.woff2 --text="Українська"
subset NotoNaskhArabic-Regular.ttf names-arabic.woff2 --text="دریپښتوالعربية"
# The copyright holders and the full OFL 1.1 text, as Debian ships them.
cp /usr/share/doc/fonts-noto-core/copyright "$out/OFL.txt"
ls -l "$out"
