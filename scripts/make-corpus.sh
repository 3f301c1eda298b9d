#!/bin/sh
# Regenerates data/corpus/kjv.txt.gz: the King James Bible (public domain), Genesis 1:1 through
# Esther 10:3, as plain text, one verse per line, without verse references, LF line endings, UTF-8
# (in fact pure ASCII), gzip -9.
#
# Needs Debian's bible-kjv package (the `bible` program and its text):
#   apt-get update && apt-get install -y bible-kjv
# Run from anywhere: sh scripts/make-corpus.sh
set -eu

RANGE="gen1:1-est10:3"
FIRST_LINE="In the beginning God created the heaven and the earth."
LAST_LINE="For Mordecai the Jew was next unto king Ahasuerus, and great among the Jews, and accepted of the multitude of his brethren, seeking the wealth of his people, and speaking peace to all his seed."

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/data/corpus/kjv.txt.gz"
command -v bible >/dev/null 2>&1 || { echo "make-corpus: the bible program is missing: apt-get install -y bible-kjv" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# -f turns pretty-printing off: one verse per line, each preceded by its reference ("Ge1:1 ").
bible -f "$RANGE" > "$tmp/with-refs.txt"

export LC_ALL=C
# Every line must start with a reference; anything else means the program's output format changed.
bad=$(grep -cvE '^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ ' "$tmp/with-refs.txt" || true)
[ "$bad" -eq 0 ] || { echo "make-corpus: $bad lines without a verse reference" >&2; exit 1; }

# Drop the reference, carriage returns and trailing blanks.
sed -E -e 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' -e 's/\r//g' -e 's/[[:space:]]+$//' "$tmp/with-refs.txt" > "$tmp/kjv.txt"

[ "$(head -n 1 "$tmp/kjv.txt")" = "$FIRST_LINE" ] || { echo "make-corpus: unexpected first verse" >&2; exit 1; }
[ "$(tail -n 1 "$tmp/kjv.txt")" = "$LAST_LINE" ] || { echo "make-corpus: unexpected last verse" >&2; exit 1; }
if grep -q "$(printf '[\200-\377]')" "$tmp/kjv.txt"; then echo "make-corpus: non-ASCII bytes in the text" >&2; exit 1; fi

mkdir -p "$(dirname "$out")"
# -n: no file name or timestamp in the header, so the same text gives the same bytes.
gzip -9 -n -c "$tmp/kjv.txt" > "$out"

echo "bible-kjv $(dpkg-query -W -f='${Version}' bible-kjv-text 2>/dev/null || echo '?'), range $RANGE"
echo "verses:     $(wc -l < "$tmp/kjv.txt")"
echo "raw bytes:  $(wc -c < "$tmp/kjv.txt")"
echo "gzip bytes: $(wc -c < "$out")"
echo "sha256 raw: $(sha256sum "$tmp/kjv.txt" | cut -d' ' -f1)"
