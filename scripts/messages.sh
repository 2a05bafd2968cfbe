#!/usr/bin/env bash
# Regenerate the message catalogues (fr, nl, ar; the public-only uk, ti, fa_AF, ps) from the
# sources: every `_()`, `gettext`, `ngettext` ... in Python (the engines in core/ and the web
# layer in web/) and every `{% translate %}` / `{% blocktranslate %}` in the templates. One catalogue for everything:
# domain "django" in src/passerelle/locale (see docs/i18n.md).
#
#   scripts/messages.sh            update the .po files (new strings arrive with an empty msgstr,
#                                  changed ones as fuzzy), then check them
#   scripts/messages.sh --compile  the same, then compile the .mo files (as `make messages`)
#
# Needs GNU gettext (xgettext, msgmerge, msguniq, msgattrib, msgfmt): scripts/ensure-system.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
LANGS=(fr nl ar uk ti fa_AF ps)  # staff languages, then the public-only ones (docs/i18n.md)

for tool in xgettext msgmerge msguniq msgattrib msgfmt; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "error: $tool not found; install GNU gettext (scripts/ensure-system.sh)" >&2
    exit 1
  }
done
[ -x "$VENV/bin/django-admin" ] || {
  echo "error: $VENV/bin/django-admin not found; run \`make demo\` (or pip install -e .) first" >&2
  exit 1
}

export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=passerelle.web.config.settings.test

locale_args=()
for lang in "${LANGS[@]}"; do locale_args+=(-l "$lang"); done

# From src/passerelle so that core/, cli/ and web/ are all scanned. xgettext knows `_` as a
# keyword for Python (the engines' passerelle.core.i18n._) and flags a string holding
# `{name}` as python-brace-format, `%(name)s` as python-format; locations are kept.
cd "$ROOT/src/passerelle"
django-admin makemessages "${locale_args[@]}" \
  --domain django \
  --extension html,txt,py \
  --ignore 'tests' --ignore '*/tests/*' \
  --ignore 'migrations' --ignore '*/migrations/*' \
  --ignore 'static' --ignore 'locale' \
  --no-obsolete

# Sanity checks: the engines' messages were extracted, with their brace placeholders flagged,
# and every catalogue passes msgfmt's format checks (placeholders of translated strings).
status=0
for lang in "${LANGS[@]}"; do
  po="locale/$lang/LC_MESSAGES/django.po"
  grep -q '^#: core/rules/' "$po" || {
    echo "error: no message from core/rules in $po: _() calls of the engines were not extracted" >&2
    status=1
  }
  grep -q '^#, .*python-brace-format' "$po" || {
    echo "error: no python-brace-format entry in $po: {placeholders} of the engines are not checked" >&2
    status=1
  }
  msgfmt --check-format --check-header -o /dev/null "$po" || status=1
  untranslated=$(LC_ALL=C msgattrib --untranslated --no-obsolete "$po" | grep -c '^msgid ' || true)
  fuzzy=$(LC_ALL=C msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too when there is anything else to print.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  echo "$lang: $(grep -c '^msgid ' "$po") entries (with the header), $untranslated untranslated, $fuzzy fuzzy"
done

if [ "${1:-}" = "--compile" ]; then
  "$VENV/bin/pybabel" -q compile -d "$ROOT/src/passerelle/locale" -D django
fi
exit $status
