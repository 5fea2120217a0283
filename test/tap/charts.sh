#!/usr/bin/env bash
# ai_chart rendered in headless Chromium: each kind's SVG, written from the
# test cluster, is inlined in an HTML page whose script parses it as XML
# (a stray '<' or '&' would be a parser error), counts its elements by class
# (points = rows, cells = classes x classes, bars = features, ticks present)
# and checks that every text lies inside the picture.  Chromium prints the
# page with --dump-dom; the page's errors (window.onerror) are in it too.
#
#   bash test/tap/charts.sh [IMAGES_DIR]
#
# With IMAGES_DIR it also keeps a PNG screenshot of each kind there
# (docs/images holds the ones the docs show).  Needs PGHOST, PGPORT and
# PGUSER of a running cluster with pg_learn installed (scripts/test), and
# Debian's chromium (scripts/deps).
set -u
. "$(dirname "$0")/lib.sh"
IMAGES=${1:-}
DB=pgl_charts
WORK=$(mktemp -d /tmp/pgl-charts.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "not ok 1 - chromium is not installed (scripts/deps installs it)"; echo "1..1"; exit 1
fi

psql -X -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q $DB "CREATE EXTENSION pg_learn" >/dev/null
# customers with a churn flag, a segment and a yearly value; u(k): a fixed
# pseudo-random number in [0, 1) per row (no random(): the same charts on every run)
q $DB "SET pg_learn.threads = 1;
CREATE FUNCTION u(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  \$\$ SELECT x - floor(x) FROM (SELECT sin(i * 12.9898 + k * 78.233) * 43758.5453 AS x) s \$\$;
CREATE TABLE customers AS
  SELECT i AS id, round((1 + 59 * u(i, 1))::numeric, 1)::float8 AS tenure,
         round((20 + 100 * u(i, 2))::numeric, 2)::float8 AS spend,
         floor(6 * u(i, 3))::float8 AS support_calls, round((18 + 60 * u(i, 4))::numeric)::float8 AS age,
         CASE WHEN -0.06 * (1 + 59 * u(i, 1)) + 0.6 * floor(6 * u(i, 3)) + 0.01 * (20 + 100 * u(i, 2))
                   + 3 * (u(i, 5) - 0.5) > 0 THEN 'yes' ELSE 'no' END AS churn,
         CASE WHEN 20 + 100 * u(i, 2) + 40 * (u(i, 6) - 0.5) > 90 THEN 'gold'
              WHEN 20 + 100 * u(i, 2) + 40 * (u(i, 6) - 0.5) > 50 THEN 'silver' ELSE 'bronze' END AS segment,
         3 * (1 + 59 * u(i, 1)) + 2 * (20 + 100 * u(i, 2)) + 40 * (u(i, 7) - 0.5) AS value
    FROM generate_series(1, 600) i;" >/dev/null
q $DB "SELECT 1 FROM ai_train('churn', 'logistic_regression',
         'SELECT tenure, spend, support_calls, age, churn FROM customers', 'churn');
       SELECT 1 FROM ai_train('segment', 'logistic_regression',
         'SELECT tenure, spend, age, segment FROM customers', 'segment');
       SELECT 1 FROM ai_train('value', 'linear_regression',
         'SELECT tenure, spend, support_calls, age, value FROM customers', 'value');
       SELECT 1 FROM ai_train('value_nn', 'neural_net',
         'SELECT tenure, spend, value FROM customers', 'value',
         '{\"layers\": [{\"dense\": {\"units\": 16, \"activation\": \"relu\"}}, {\"dense\": {\"units\": 1}}],
           \"epochs\": 30, \"learning_rate\": 0.01, \"test_size\": 0.25, \"seed\": 7}')" >/dev/null
ok $? "four models trained"
q $DB "SELECT 1 FROM ai_train('visits', 'forecast',
         'SELECT date ''2024-01-01'' + i AS day, 200 + 0.5 * i + 30 * sin(2 * pi() * i / 7) + 8 * (u(i, 8) - 0.5) AS visits
            FROM generate_series(0, 139) i', 'visits', '{\"time\": \"day\", \"horizon\": 28}')" >/dev/null
ok $? "a forecast model trained"
EPOCHS=$(q $DB "SELECT count(*) FROM ai_training_history('value_nn')")

# kind | the ai_chart call | expected counts (selector=n; a leading > means at least)
CASES=(
  "roc|ai_chart('churn', 'roc', 'customers')|.pgl-line=1 .pgl-ref=1 .pgl-legend-item=2 .pgl-xtick=>3 .pgl-ytick=>3"
  "pr|ai_chart('churn', 'pr', 'SELECT * FROM customers')|.pgl-line=1 .pgl-ref=1 .pgl-xtick=>3 .pgl-ytick=>3"
  "confusion|ai_chart('segment', 'confusion', 'customers')|.pgl-cell=9 .pgl-cell-value=9 .pgl-xtick=3 .pgl-ytick=3"
  "residuals|ai_chart('value', 'residuals', 'customers')|.pgl-point=600 .pgl-ref=1 .pgl-xtick=>3 .pgl-ytick=>3"
  "importance|ai_chart('value', 'importance')|.pgl-bar=4 .pgl-ytick=4 .pgl-xtick=>3"
  "drift|ai_chart('value', 'drift', 'SELECT tenure + 15 AS tenure, spend, support_calls, age FROM customers')|.pgl-bar=8 .pgl-ytick=8 .pgl-xtick=>3"
  "forecast|ai_chart('visits', 'forecast')|.pgl-band=1 .pgl-line=2 .pgl-legend-item=3 .pgl-xtick=>3 .pgl-ytick=>3"
  "learning_curve|ai_chart('value_nn', 'learning_curve')|.pgl-point=$((2 * EPOCHS)) .pgl-line=2 .pgl-ref=1 .pgl-xtick=>3"
)

for c in "${CASES[@]}"; do
  IFS='|' read -r kind call expect <<<"$c"
  svg="$WORK/$kind.svg"
  q $DB "SELECT $call" >"$svg"
  ok $? "$kind: ai_chart returned an SVG ($(wc -c <"$svg") bytes)"
  python3 - "$svg" "$expect" >"$WORK/$kind.html" <<'PY'
import json, sys
svg = open(sys.argv[1], encoding="utf-8").read()
expect = sys.argv[2].split()
print("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>chart</title>
<script>window.pglErrors = []; window.onerror = function (m) { window.pglErrors.push(String(m)); };</script>
</head><body style="margin:0">%s
<pre id="result"></pre>
<script>
(function () {
  var out = [], src = %s, expect = %s;
  try {
    var doc = new DOMParser().parseFromString(src, "image/svg+xml");
    out.push("xml " + (doc.getElementsByTagName("parsererror").length ? "error" : "ok"));
    var svg = document.querySelector("svg"), w = +svg.getAttribute("width"), h = +svg.getAttribute("height");
    expect.forEach(function (e) {
      var sel = e.split("=")[0];
      out.push("count " + e + " " + svg.querySelectorAll(sel).length);
    });
    var outside = 0, texts = svg.querySelectorAll("text");
    texts.forEach(function (t) {
      var b = t.getBBox(), m = t.getCTM(), x0 = m.a * b.x + m.c * b.y + m.e, x1 = m.a * (b.x + b.width) + m.c * (b.y + b.height) + m.e,
          y0 = m.b * b.x + m.d * b.y + m.f, y1 = m.b * (b.x + b.width) + m.d * (b.y + b.height) + m.f;
      if (Math.min(x0, x1) < -1 || Math.max(x0, x1) > w + 1 || Math.min(y0, y1) < -1 || Math.max(y0, y1) > h + 1) outside++;
    });
    out.push("texts " + texts.length + " outside " + outside);
    out.push("size " + w + " " + h);
  } catch (err) { window.pglErrors.push(String(err)); }
  out.push("errors " + window.pglErrors.length + " " + window.pglErrors.join("; "));
  document.getElementById("result").textContent = out.join("\\n");
})();
</script></body></html>""" % (svg, json.dumps(svg), json.dumps(expect)))
PY
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$(mktemp -d "$WORK/profile.XXXXXX")" \
        --dump-dom "file://$WORK/$kind.html" 2>"$WORK/$kind.stderr")
  result=$(python3 -c 'import html, re, sys
m = re.search(r"<pre id=\"result\">(.*?)</pre>", sys.stdin.read(), re.S)
print(html.unescape(m.group(1)) if m else "no result")' <<<"$dom")
  is "$(grep '^errors' <<<"$result")" "errors 0 " "$kind: the page ran without errors"
  is "$(grep '^xml' <<<"$result")" "xml ok" "$kind: the SVG parses as XML"
  for e in $expect; do
    sel=${e%%=*}; want=${e#*=}
    got=$(grep "^count $e " <<<"$result" | awk '{print $NF}')
    if [ "${want:0:1}" = ">" ]; then
      [ -n "$got" ] && [ "$got" -ge "${want:1}" ]; ok $? "$kind: at least ${want:1} $sel ($got)"
    else
      is "$got" "$want" "$kind: $want $sel"
    fi
  done
  outside=$(grep '^texts' <<<"$result" | awk '{print $4}')
  is "$outside" "0" "$kind: every text inside the picture ($(grep '^texts' <<<"$result" | awk '{print $2}') texts)"
  if [ -n "$IMAGES" ]; then
    read -r _ w h < <(grep '^size' <<<"$result")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --user-data-dir="$(mktemp -d "$WORK/profile.XXXXXX")" --window-size="$w,$h" \
      --screenshot="$IMAGES/chart-$kind.png" "file://$svg" >/dev/null 2>&1
    ok $? "$kind: screenshot $IMAGES/chart-$kind.png"
  fi
done

psql -X -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null
done_testing
