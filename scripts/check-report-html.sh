#!/usr/bin/env bash
# Renders report.html in headless Chromium and checks what it drew: the page loads with the
# network off, every chart is there, and the screenshot is not blank.
#
#   scripts/check-report-html.sh [REPORT_HTML] [SCREENSHOT_PNG]
#
# Defaults: processed/report.html, and the screenshot in a temporary folder. Exits 0 with a
# message when no Chromium is installed (CI runs it when one is).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
page=$(realpath "${1:-$root/processed/report.html}")
shot=${2:+$(realpath -m "$2")}
browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    echo "check-report-html: no chromium installed: skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$shot" ] || shot="$tmp/report.png"
url="file://$page"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile"
       --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')
# The DOM after rendering: the charts must be in it.
"$browser" "${flags[@]}" --dump-dom "$url" >"$tmp/dom.html" 2>"$tmp/err.log"
for title in "Languages" "Segments written and dropped" "Duplicates" "Segment lengths" \
             "Scripts" "Directions" "Encodings" "Stage timings"; do
    grep -q "$title" "$tmp/dom.html" || { echo "check-report-html: no '$title' chart"; exit 1; }
done
svgs=$(grep -o '<svg' "$tmp/dom.html" | wc -l)
[ "$svgs" -ge 8 ] || { echo "check-report-html: only $svgs charts"; exit 1; }
"$browser" "${flags[@]}" --window-size=1000,3800 --screenshot="$shot" "$url" 2>>"$tmp/err.log"
[ -s "$shot" ] || { echo "check-report-html: no screenshot"; cat "$tmp/err.log"; exit 1; }
# Not blank: a blank page compresses to a few kilobytes.
size=$(stat -c %s "$shot")
[ "$size" -gt 20000 ] || { echo "check-report-html: screenshot looks blank ($size bytes)"; exit 1; }
echo "check-report-html: $page: $svgs charts, screenshot $shot ($size bytes)"
