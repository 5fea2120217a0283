#!/usr/bin/env bash
# Hostile schemas and damaged blobs (docs/security.md).
#
# A hostile unprivileged role plants look-alike functions, operators,
# aggregates, domains and casts (each of which records its call in a trap
# log) in the extension's target schema before CREATE EXTENSION, and in a
# schema it puts first on a victim's search_path (before pg_catalog) before
# the victim, and a superuser, call every ai_* function.  None of them may
# run, and no member of the extension may depend on anything the hostile
# role owns.  A positive control shows that the traps do fire when
# something resolves names through that search_path.  A pre-planted object
# with a member's name makes CREATE EXTENSION fail.  A blob corrupted in
# place in the catalog (UPDATE ... overlay) is an ERROR at its next load,
# also in a backend that had the model cached, and for export.
set -u
. "$(dirname "$0")/lib.sh"
DB=pgl_hostile
H=pgl_hostile_role
V=pgl_victim_role
TMP=$(mktemp -d /tmp/pgl_hostile.XXXXXX)
chmod 777 "$TMP"

qs() { psql -X -q -At -d $DB -c "$@" 2>&1; }    # superuser, output and errors
qh() { psql -X -q -At -d $DB -c "SET ROLE $H" -c "$@" 2>&1; }
qv() { psql -X -q -At -d $DB -c "SET ROLE $V" -c "$@" 2>&1; }

q postgres "DROP DATABASE IF EXISTS $DB" >/dev/null
q postgres "DO \$\$BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$H') THEN EXECUTE 'DROP OWNED BY $H; DROP ROLE $H'; END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$V') THEN EXECUTE 'DROP OWNED BY $V; DROP ROLE $V'; END IF;
END\$\$" >/dev/null 2>&1
q postgres "DROP ROLE IF EXISTS $H" >/dev/null 2>&1
q postgres "DROP ROLE IF EXISTS $V" >/dev/null 2>&1
q postgres "CREATE ROLE $H; CREATE ROLE $V" >/dev/null
q postgres "CREATE DATABASE $DB" >/dev/null

# the target schema lets the hostile role create objects (the mistake the
# install script must survive); the trap schema is the hostile role's own
qs "CREATE SCHEMA app; GRANT USAGE, CREATE ON SCHEMA app TO $H, $V;
    GRANT USAGE, CREATE ON SCHEMA public TO $H, $V;" >/dev/null
qs "CREATE SCHEMA trap AUTHORIZATION $H" >/dev/null

# ---------- 1. a pre-planted member name makes CREATE EXTENSION fail ----------
for plant in \
  "CREATE FUNCTION app.ai_predict(name text, features double precision[], version integer) RETURNS double precision LANGUAGE sql AS 'SELECT 42.0::float8'" \
  "CREATE TABLE app.ai_catalog_models (name text)" \
  "CREATE VIEW app.ai_models AS SELECT 1 AS name" \
  "CREATE FUNCTION app.ai_catalog_blobs_changed() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'"; do
  qh "$plant" >/dev/null
  out=$(qs "CREATE EXTENSION pg_learn SCHEMA app")
  what=$(echo "$plant" | sed -E 's/^CREATE ([A-Z]+) app\.([a-z_]+).*/\1 \2/')
  ok "$(echo "$out" | grep -q 'already exists' && echo 0 || echo 1)" \
     "a pre-planted $what makes CREATE EXTENSION fail (${out%%$'\n'*})"
  is "$(qs "SELECT count(*) FROM pg_extension WHERE extname = 'pg_learn'")" "0" "  and no extension was created"
  qs "DROP FUNCTION IF EXISTS app.ai_predict(text, double precision[], integer); DROP TABLE IF EXISTS app.ai_catalog_models;
      DROP VIEW IF EXISTS app.ai_models; DROP FUNCTION IF EXISTS app.ai_catalog_blobs_changed()" >/dev/null
done

# the control file keeps the extension superuser-only: not even the owner of
# the database (who may create trusted extensions) can create it
q postgres "CREATE DATABASE pgl_hostile_owned OWNER $H" >/dev/null
out=$(psql -X -q -At -d pgl_hostile_owned -c "SET ROLE $H" -c "CREATE EXTENSION pg_learn" 2>&1)
ok "$(echo "$out" | grep -q 'permission denied to create extension "pg_learn"' && echo 0 || echo 1)" \
   "a non-superuser, even the database owner, cannot CREATE EXTENSION pg_learn (${out%%$'\n'*})"
q postgres "DROP DATABASE pgl_hostile_owned" >/dev/null

# ---------- 2. traps ----------
# the trap log: anyone may write to it, so a trap that runs as anyone records itself
qh "CREATE TABLE trap.log (what text, by_role text DEFAULT current_user, at timestamptz DEFAULT clock_timestamp());
    GRANT USAGE ON SCHEMA trap TO PUBLIC; GRANT INSERT, SELECT ON trap.log TO PUBLIC;
    CREATE FUNCTION trap.hit(what text) RETURNS boolean LANGUAGE plpgsql AS
      'BEGIN INSERT INTO trap.log(what) VALUES (what); RETURN true; END';
    GRANT EXECUTE ON FUNCTION trap.hit(text) TO PUBLIC;" >/dev/null

# look-alikes: operators and functions for the types the catalog statements
# and the install script compare, call and cast, planted in schema $1
plant_traps() {
  local s=$1 sql="" t
  for t in "text,text" "integer,integer" "bigint,bigint" "oid,oid" "name,name" "name,text" \
           "text,name" "bigint,text" "text,bigint" "integer,bigint" "bigint,integer" \
           "regrole,regrole" "regrole,oid" "oid,regrole" "timestamptz,timestamptz"; do
    local a=${t%,*} b=${t#*,}
    local fn="${s}.eq_${a}_${b}"
    sql+="CREATE FUNCTION $fn(x $a, y $b) RETURNS boolean LANGUAGE plpgsql AS
            'BEGIN PERFORM trap.hit(''$s operator = ($a, $b)''); RETURN x::text OPERATOR(pg_catalog.=) y::text; END';
          CREATE OPERATOR $s.= (LEFTARG = $a, RIGHTARG = $b, FUNCTION = $fn);"
  done
  sql+="CREATE FUNCTION $s.plus(x integer, y integer) RETURNS integer LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s operator +''); RETURN x OPERATOR(pg_catalog.+) y; END';
        CREATE OPERATOR $s.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = $s.plus);
        CREATE FUNCTION $s.now() RETURNS timestamptz LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s function now()''); RETURN pg_catalog.now(); END';
        CREATE FUNCTION $s.pg_extension_config_dump(text, text) RETURNS void LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s function pg_extension_config_dump''); END';
        CREATE FUNCTION $s.nextval(text) RETURNS bigint LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s function nextval(text)''); RETURN 1; END';
        CREATE FUNCTION $s.max_sfunc(s integer, v integer) RETURNS integer LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s aggregate max(integer)''); RETURN v; END';
        CREATE AGGREGATE $s.max(integer) (SFUNC = $s.max_sfunc, STYPE = integer);
        CREATE FUNCTION $s.sagg_sfunc(s text, v text, d text) RETURNS text LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s aggregate string_agg(text, text)''); RETURN v; END';
        CREATE AGGREGATE $s.string_agg(text, text) (SFUNC = $s.sagg_sfunc, STYPE = text);
        CREATE FUNCTION $s.text(integer) RETURNS text LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s function text(integer)''); RETURN ''x''; END';
        CREATE DOMAIN $s.regrole AS pg_catalog.oid CHECK (trap.hit('$s domain regrole'));
        CREATE DOMAIN $s.jsonb AS pg_catalog.text CHECK (trap.hit('$s domain jsonb'));
        CREATE DOMAIN $s.bytea AS pg_catalog.text CHECK (trap.hit('$s domain bytea'));
        CREATE TYPE $s.comp AS (v integer);
        CREATE FUNCTION $s.to_comp(x integer) RETURNS $s.comp LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s cast integer -> comp''); RETURN ROW(x); END';
        CREATE CAST (integer AS $s.comp) WITH FUNCTION $s.to_comp(integer) AS IMPLICIT;
        CREATE FUNCTION $s.text_to_comp(x text) RETURNS $s.comp LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s cast text -> comp''); RETURN ROW(1); END';
        CREATE CAST (text AS $s.comp) WITH FUNCTION $s.text_to_comp(text) AS IMPLICIT;
        CREATE FUNCTION $s.comp_to_bigint($s.comp) RETURNS bigint LANGUAGE plpgsql AS
          'BEGIN PERFORM trap.hit(''$s cast comp -> bigint''); RETURN 1; END';
        CREATE CAST ($s.comp AS bigint) WITH FUNCTION $s.comp_to_bigint($s.comp) AS IMPLICIT;"
  qh "$sql"
}
out=$(plant_traps app); ok "$([ -z "$out" ] && echo 0 || echo 1)" "the hostile role plants traps in the target schema app ${out:0:200}"
out=$(plant_traps trap); ok "$([ -z "$out" ] && echo 0 || echo 1)" "and in its own schema trap ${out:0:200}"
# look-alikes of the extension's own functions in the trap schema
qh "CREATE FUNCTION trap.ai_predict(name text, features double precision[]) RETURNS double precision
      LANGUAGE plpgsql AS 'BEGIN PERFORM trap.hit(''trap.ai_predict''); RETURN 42; END';" >/dev/null

# ---------- 3. CREATE EXTENSION with the traps in place ----------
out=$(qs "CREATE EXTENSION pg_learn SCHEMA app")
ok "$([ -z "$out" ] && echo 0 || echo 1)" "CREATE EXTENSION pg_learn SCHEMA app with traps planted in app ${out:0:300}"
is "$(qs "SELECT coalesce(string_agg(what, '; '), '') FROM trap.log")" "" "no trap ran during CREATE EXTENSION"
# the upgrade path with the same traps: install 0.1.0, then ALTER EXTENSION UPDATE
out=$(qs "DROP EXTENSION pg_learn; CREATE EXTENSION pg_learn SCHEMA app VERSION '0.1.0'")
ok "$([ -z "$out" ] && echo 0 || echo 1)" "CREATE EXTENSION pg_learn SCHEMA app VERSION '0.1.0' with the traps planted ${out:0:300}"
out=$(qs "ALTER EXTENSION pg_learn UPDATE")
ok "$([ -z "$out" ] && echo 0 || echo 1)" "ALTER EXTENSION pg_learn UPDATE (0.1.0 -> 0.2.0 -> 0.3.0) with the traps planted ${out:0:300}"
is "$(qs "SELECT coalesce(string_agg(what, '; '), '') FROM trap.log")" "" "no trap ran during the install of 0.1.0 or the update"
is "$(qs "SELECT extversion FROM pg_extension WHERE extname = 'pg_learn'")" "0.3.0" "  (the checks below run on the updated extension)"
MEMBER_DEPS="
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'pg_learn'),
members AS (SELECT classid, objid FROM pg_depend WHERE refclassid = 'pg_extension'::regclass
              AND refobjid = (SELECT oid FROM ext) AND deptype = 'e'),
rels AS (SELECT objid FROM members WHERE classid = 'pg_class'::regclass),
dependents AS (
  SELECT classid, objid FROM members
  UNION SELECT 'pg_rewrite'::regclass, oid FROM pg_rewrite WHERE ev_class IN (SELECT objid FROM rels)
  UNION SELECT 'pg_attrdef'::regclass, oid FROM pg_attrdef WHERE adrelid IN (SELECT objid FROM rels)
  UNION SELECT 'pg_trigger'::regclass, oid FROM pg_trigger WHERE tgrelid IN (SELECT objid FROM rels)
  UNION SELECT 'pg_constraint'::regclass, oid FROM pg_constraint WHERE conrelid IN (SELECT objid FROM rels))
SELECT coalesce(string_agg(pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> '
                           || pg_describe_object(d.refclassid, d.refobjid, 0), '; '), '')
  FROM pg_depend d JOIN dependents x ON x.classid = d.classid AND x.objid = d.objid
 WHERE (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT oid FROM pg_proc WHERE proowner = '$H'::regrole))
    OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT oid FROM pg_type WHERE typowner = '$H'::regrole))
    OR (d.refclassid = 'pg_operator'::regclass AND d.refobjid IN (SELECT oid FROM pg_operator WHERE oprowner = '$H'::regrole))
    OR (d.refclassid = 'pg_cast'::regclass AND d.refobjid IN
        (SELECT c.oid FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc WHERE p.proowner = '$H'::regrole))"
is "$(qs "$MEMBER_DEPS")" "" "no member of the extension depends on an object of the hostile role"
is "$(qs "SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
          WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_learn')
            AND (p.prosecdef OR p.proconfig IS NOT NULL AND NOT p.proconfig @> '{search_path=pg_catalog, pg_temp}')")" "0" \
   "no member function is SECURITY DEFINER, and any that sets search_path pins it to pg_catalog, pg_temp"
is "$(qs "SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
          WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_learn')
            AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
            AND NOT coalesce(p.proconfig @> '{search_path=pg_catalog, pg_temp}', false)")" "0" \
   "every SQL or plpgsql member function pins search_path = pg_catalog, pg_temp"

# static rules over every install and upgrade script (comments and string literals stripped)
SQLDIR="$(cd "$(dirname "$0")/../.." && pwd)"
bad=$(for f in "$SQLDIR"/pg_learn--*.sql; do
  perl -0pe 's{/\*.*?\*/}{}gs; s/--[^\n]*//g; s/\x27(?:[^\x27]|\x27\x27)*\x27/\x27\x27/g' "$f" |
    grep -noiE 'create[[:space:]]+or[[:space:]]+replace|if[[:space:]]+not[[:space:]]+exists|security[[:space:]]+definer' |
    sed "s|^|$(basename "$f"):|"
done)
is "$bad" "" "the install and upgrade scripts use no CREATE OR REPLACE, IF NOT EXISTS or SECURITY DEFINER"

# ---------- 4. every ai_* function, called with the trap schema first ----------
qs "CREATE TABLE public.houses AS SELECT i AS id, (i % 13)::float8 AS a, (ARRAY['x','y','z'])[1 + i % 3] AS c,
      (i % 4 = 0) AS f, 1.5 * (i % 13) + CASE i % 3 WHEN 0 THEN 4 ELSE 0 END + sin(i) AS y
      FROM generate_series(1, 300) i;
    CREATE TABLE public.ratings AS SELECT u AS user_id, it AS item_id, ((u * it) % 5 + 1)::float8 AS rating
      FROM generate_series(1, 30) u, generate_series(1, 20) it WHERE (u + it) % 3 = 0;
    CREATE TABLE public.ratings_text AS SELECT 'u' || user_id AS user_id, 'i' || item_id AS item_id, rating
      FROM public.ratings;
    GRANT SELECT ON public.houses, public.ratings, public.ratings_text TO $V;" >/dev/null

# look-alike catalog relations first on the path: reading one runs the trap
out=$(qh "CREATE VIEW trap.ai_catalog_models AS SELECT m.* FROM app.ai_catalog_models m WHERE trap.hit('trap view ai_catalog_models');
    CREATE VIEW trap.ai_catalog_versions AS SELECT v.* FROM app.ai_catalog_versions v WHERE trap.hit('trap view ai_catalog_versions');
    CREATE VIEW trap.ai_catalog_blobs AS SELECT 1::bigint AS version_id, '\\x00'::bytea AS blob WHERE trap.hit('trap view ai_catalog_blobs');
    CREATE VIEW trap.pg_extension AS SELECT e.* FROM pg_catalog.pg_extension e WHERE trap.hit('trap view pg_extension');
    GRANT SELECT ON ALL TABLES IN SCHEMA trap TO PUBLIC;")
ok "$([ -z "$out" ] && echo 0 || echo 1)" "look-alike views of the catalog tables and pg_extension in trap ${out:0:200}"

# $1: a session prefix (SET ROLE ... or nothing); the calls name app.ai_* explicitly
CALLS="
SELECT version FROM app.ai_train('reg', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\", \"c\"]}');
SELECT version FROM app.ai_train('clsn', 'logistic_regression', 'SELECT a, y, f FROM public.houses', 'f');
SELECT version FROM app.ai_train('cls3', 'logistic_regression', 'public.houses', 'c', '{\"exclude\": [\"id\"]}');
SELECT version FROM app.ai_train('km', 'kmeans', 'SELECT a, y FROM public.houses', options => '{\"k\": 3}');
SELECT version FROM app.ai_train('rec', 'als', 'public.ratings', options => '{\"factors\": 3, \"iterations\": 3}');
SELECT version FROM app.ai_train('rect', 'als', 'public.ratings_text', options => '{\"factors\": 3, \"iterations\": 3}');
SELECT version FROM app.ai_train('reg', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\"]}');
SELECT app.ai_deploy('reg', 1);
SELECT count(app.ai_predict('reg', h)) FROM public.houses h;
SELECT app.ai_predict('reg', ARRAY[NULL]::float8[]) IS NOT NULL;
SELECT count(app.ai_classify('cls3', h)) FROM public.houses h;
SELECT app.ai_classify('clsn', ARRAY[1.0, 2.5]::float8[]) IS NOT NULL;
SELECT count(app.ai_predict_proba('cls3', h)) FROM public.houses h;
SELECT cardinality(app.ai_predict_proba('clsn', ARRAY[1.0, 2.5]::float8[]));
SELECT count(app.ai_predict_tensor('cls3', h)) FROM public.houses h;
SELECT cardinality(app.ai_predict_tensor('clsn', ARRAY[1.0, 2.5]::float8[]));
SELECT version FROM app.ai_train('dst', 'neural_net', 'SELECT a, y, f FROM public.houses', 'f', '{\"layers\": [{\"dense\": {\"units\": 2, \"activation\": \"softmax\"}}], \"epochs\": 1, \"teacher\": \"clsn\"}');
SELECT cardinality(app.ai_predict_tensor('dst', h, '-1')) FROM public.houses h LIMIT 1;
SELECT app.ai_classify('clsn', ARRAY[1.0, 2.5]::float8[], threshold => 0.3) IS NOT NULL;
SELECT count(p.label) FROM public.houses h, LATERAL app.ai_classify_proba('cls3', h) p;
SELECT (app.ai_classify_proba('clsn', ARRAY[1.0, 2.5]::float8[], 0.3, 1)).label IS NOT NULL;
SELECT version FROM app.ai_train('clsw', 'logistic_regression', 'SELECT a, y, f FROM public.houses', 'f', '{\"class_weight\": \"balanced\", \"threshold\": 0.4, \"positive_class\": false}');
SELECT app.ai_model_classes('cls3');
SELECT count(*) FROM app.ai_model_features('reg');
SELECT count(*) FROM app.ai_model_coefficients('cls3');
SELECT app.ai_evaluate('reg', 'public.houses') IS NOT NULL;
SELECT app.ai_evaluate('rec', 'public.ratings') IS NOT NULL;
SELECT count(*) FROM app.ai_explain('reg', (SELECT h FROM public.houses h LIMIT 1));
SELECT count(*) FROM app.ai_cross_validate('cv', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\", \"c\"]}', 3);
SELECT version FROM app.ai_train('srch', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\", \"c\"], \"search\": {\"params\": {\"l2\": [0, 1]}}}');
SELECT count(app.ai_cluster('km', h)) FROM public.houses h;
SELECT app.ai_cluster('km', ARRAY[1.0, 2.0]::float8[]) IS NOT NULL;
SELECT count(app.ai_predict('reg', h, version => 2)) FROM public.houses h;
SELECT app.ai_predict('reg', ARRAY[NULL]::float8[], version => 1) IS NOT NULL;
SELECT count(app.ai_classify('cls3', h, version => 1)) FROM public.houses h;
SELECT count(app.ai_predict_proba('cls3', h, version => 1)) FROM public.houses h;
SELECT count(app.ai_cluster('km', h, version => 1)) FROM public.houses h;
SELECT app.ai_evaluate('reg', 'public.houses', version => 2) IS NOT NULL;
SELECT count(*) FROM app.ai_explain('reg', (SELECT h FROM public.houses h LIMIT 1), version => 2);
SELECT app.ai_drop_version('reg', 2);
SELECT count(*) FROM app.ai_centroids('km');
SELECT app.ai_predict('rec', 3::bigint, 3::bigint) IS NOT NULL;
SELECT app.ai_predict('rect', 'u3', 'i3') IS NOT NULL;
SELECT count(*) FROM app.ai_recommend('rec', 3::bigint, 5);
SELECT count(*) FROM app.ai_recommend('rect', 'u3', 5);
SELECT count(*) FROM app.ai_recommend('rec', 99999::bigint, 5);
SELECT count(*) FROM app.ai_recommend_all('rec', 2);
SELECT count(*) FROM app.ai_recommend_all_text('rect', 2);
SELECT count(*) FROM app.ai_similar_items('rec', 3::bigint, 3);
SELECT count(*) FROM app.ai_similar_items('rect', 'i3', 3);
SELECT count(*) FROM app.ai_similar_users('rec', 3::bigint, 3);
SELECT count(*) FROM app.ai_similar_users('rect', 'u3', 3);
SELECT count(*) FROM app.ai_recommend_for_ratings('rec', ARRAY[3, 6]::bigint[], ARRAY[5, 1]::float8[], 3);
SELECT count(*) FROM app.ai_recommend_for_ratings('rect', ARRAY['i3', 'i6'], ARRAY[5, 1]::float8[], 3);
SELECT app.ai_import_model('reg_copy', app.ai_export_model('reg')) > 0;
SELECT app.ai_import_model('reg_copy', app.ai_export_model('reg', 1)) > 0;
SELECT app.ai_import_model('onx', decode('CAcSB3B5dG9yY2gaBjEuMTMuMDrQAQpbCgF4CghsLndlaWdodAoGbC5iaWFzEgVwcmljZRoHL2wvR2VtbSIER2VtbSoPCgVhbHBoYRUAAIA/oAEBKg4KBGJldGEVAACAP6ABASoNCgZ0cmFuc0IYAaABAhIJdG9yY2hfaml0KhoIAQgCEAFCCGwud2VpZ2h0SggAABZDAABhxCoSCAEQAUIGbC5iaWFzSgQAUENHWhgKAXgSEwoRCAESDQoHEgViYXRjaAoCCAJiHAoFcHJpY2USEwoRCAESDQoHEgViYXRjaAoCCAFCAhAN', 'base64'), format => 'onnx', options => '{\"columns\": [\"a\", \"y\"]}') > 0;
SELECT count(app.ai_predict('onx', h)) FROM public.houses h;
SELECT app.ai_stats_agg(ARRAY[a, y]) IS NOT NULL FROM public.houses;
SELECT app.ai_linreg_solve(app.ai_linreg_agg(ARRAY[a], y)) IS NOT NULL FROM public.houses;
SELECT app.ai_logreg_grad_agg(ARRAY[0.0, 0.0], ARRAY[a], f::int::float8) IS NOT NULL FROM public.houses;
SELECT app.ai_kmeans_step_agg(ARRAY[[0.0, 0.0], [5.0, 5.0]], ARRAY[a, y]) IS NOT NULL FROM public.houses;
SELECT app.ai_kmeans_inertia(ARRAY[[0.0, 0.0], [5.0, 5.0]], ARRAY[a, y]) >= 0 FROM public.houses;
SELECT app.ai_softmax_grad_agg(ARRAY[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], ARRAY[a], (id % 3)::float8) IS NOT NULL FROM public.houses;
SELECT app.ai_kmeans_step_state(ARRAY[[0.0, 0.0], [5.0, 5.0]], ARRAY[a, y]) IS NOT NULL FROM public.houses;
SELECT version FROM app.ai_train('regagg', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\"], \"method\": \"aggregate\"}');
SELECT version FROM app.ai_train('cls3agg', 'logistic_regression', 'public.houses', 'c', '{\"exclude\": [\"id\"], \"method\": \"aggregate\"}');
SELECT version FROM app.ai_train('kmagg', 'kmeans', 'SELECT a, y, c FROM public.houses', options => '{\"k\": 3, \"method\": \"aggregate\"}');
SELECT count(*) FILTER (WHERE app.ai_holdout(h, 42, 0.2)) > 0 FROM public.houses h;
SELECT count(app.ai_features(app.ai_export_model('cls3agg'), h)) FROM public.houses h;
SELECT count(app.ai_label(app.ai_export_model('cls3agg'), h)) FROM public.houses h;
SELECT count(app.ai_features(app.ai_export_model('cls3agg'), ROW(h.id, h.a, h.c, h.f, h.y), ARRAY['id', 'a', 'c', 'f', 'y'])) FROM public.houses h;
SELECT count(app.ai_label(app.ai_export_model('cls3agg'), ROW(h.id, h.a, h.c, h.f, h.y), ARRAY['id', 'a', 'c', 'f', 'y'])) FROM public.houses h;
SELECT app.ai_linreg_solve(app.ai_linreg_fit_agg(app.ai_export_model('regagg'), ROW(h.id, h.a, h.c, h.f, h.y), ARRAY['id', 'a', 'c', 'f', 'y'], 42, 0.2)) IS NOT NULL FROM public.houses h;
SELECT app.ai_logreg_fit_agg(app.ai_export_model('clsn'), ROW(h.a, h.y, h.f), ARRAY['a', 'y', 'f'], 42, 0.2, ARRAY[0.0, 0.0, 0.0]) IS NOT NULL FROM public.houses h;
SELECT app.ai_kmeans_fit_agg(app.ai_export_model('kmagg'), ROW(h.a, h.y, h.c), ARRAY['a', 'y', 'c'], ARRAY[0.0, 0.0, 0.0, 0.0, 0.0]) IS NOT NULL FROM public.houses h;
SELECT count(*) FILTER (WHERE app.ai_holdout(42::int8, 0.2::float8, h.id, h.a, h.c, h.f, h.y)) > 0 FROM public.houses h;
SELECT app.ai_count_fit_agg(ROW(h.id, h.a, h.c, h.f, h.y), ARRAY['id', 'a', 'c', 'f', 'y'], 'y', 42, 0.2) IS NOT NULL FROM public.houses h;
SELECT app.ai_count_fit_agg(ARRAY['id', 'a', 'c', 'f', 'y'], 'y', 42, 0.2, h.id, h.a, h.c, h.f, h.y) IS NOT NULL FROM public.houses h;
SELECT app.ai_stats_fit_agg(app.ai_export_model('clsn'), ROW(h.a, h.y, h.f), ARRAY['a', 'y', 'f'], 42, 0.2) IS NOT NULL FROM public.houses h;
SELECT app.ai_stats_fit_agg(app.ai_export_model('clsn'), ARRAY['a', 'y', 'f'], 42, 0.2, h.a, h.y, h.f) IS NOT NULL FROM public.houses h;
SELECT app.ai_train_async('regasync', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\"]}') AS job \\gset
SELECT app.ai_wait(:job, '2 minutes') IS NOT NULL;
SELECT app.ai_cancel(:job) IS NOT NULL;
SELECT count(*) >= 0 FROM app.ai_progress();
SELECT app.ai_cron_next('30 2 * * *', pg_catalog.now()) IS NOT NULL;
SELECT app.ai_schedule('regsched', '1 hour', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\"]}') IS NOT NULL;
SELECT app.ai_resume_schedule('regsched') IS NOT NULL;
SELECT app.ai_unschedule('regsched');
SELECT count(*) > 0 FROM app.ai_algorithm_options();
SELECT count(*) > 0 FROM app.ai_algorithm_options('neural_net');
SELECT version > 0, deployed IS NOT NULL FROM app.ai_train('reg', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\"], \"deploy\": \"if_better\", \"keep_versions\": 2}');
SELECT version FROM app.ai_train('nnh', 'neural_net', 'SELECT a, y FROM public.houses', 'y', '{\"layers\": [{\"dense\": {\"units\": 4, \"activation\": \"relu\"}}, {\"dense\": {\"units\": 1}}], \"epochs\": 2}');
SELECT count(*) FROM app.ai_training_history('nnh');
SELECT count(app.ai_predict('nnh', h)) FROM public.houses h;
SELECT count(*) > 0 FROM app.ai_feature_importance('reg', 2);
SELECT app.ai_grant('reg', 'public', 'predict');
SELECT app.ai_revoke('reg', 'public', 'predict');
SELECT count(*) FROM app.ai_models;
SELECT app.ai_drop_model('reg_copy');
SELECT length(app.ai_chart('clsn', 'roc', 'SELECT a, y, f FROM public.houses')) > 0;
SELECT count(*) > 0 FROM app.ai_drift('reg', 'public.houses');
SELECT count(*) >= 0 FROM app.ai_drift_counters_raw();
SELECT version FROM app.ai_train('iso', 'isolation_forest', 'SELECT a, y FROM public.houses', options => '{\"n_estimators\": 10}');
SELECT count(*) FILTER (WHERE (app.ai_detect_anomalies('iso', h)).is_anomaly) >= 0 FROM public.houses h;
SELECT version FROM app.ai_train('fc', 'forecast', 'SELECT DATE ''2024-01-01'' + id AS day, y FROM public.houses', 'y', '{\"time\": \"day\", \"method\": \"ets\"}');
SELECT count(*) FROM app.ai_forecast('fc', 5);
SELECT version FROM app.ai_train('vae', 'neural_net', 'SELECT a, y FROM public.houses', options => '{\"task\": \"autoencoder\", \"variational\": true, \"layers\": [{\"dense\": 1}, {\"dense\": 2}], \"epochs\": 2}');
SELECT count(*) FROM app.ai_generate('vae', 3, seed => 1);
DO \$\$BEGIN
  IF pg_catalog.has_function_privilege('app.ai_catalog_apply(pg_catalog.text, pg_catalog.jsonb, integer[], pg_catalog.bytea[])', 'EXECUTE') THEN
    PERFORM app.ai_catalog_apply('hostile_copy', '{\"owner\": \"postgres\", \"deployed_version\": null, \"versions\": [], \"grants\": []}'::pg_catalog.jsonb, '{}'::integer[], '{}'::pg_catalog.bytea[]);
    PERFORM app.ai_catalog_apply('hostile_copy', NULL);
  END IF;
END\$\$;
"
run_calls() {   # $1: role to SET (or empty), $2: search_path; prints errors only
  local set_role=""
  [ -n "$1" ] && set_role="SET ROLE $1;"
  psql -X -q -At -d $DB -v ON_ERROR_STOP=1 -f <(
    echo "$set_role SET search_path = $2; SET client_min_messages = warning;"; echo "$CALLS") 2>&1 >/dev/null
}
for who in "$V" ""; do
  for path in "trap, pg_catalog, public" "trap, app, public"; do
    label="${who:-the superuser}"
    qs "SELECT app.ai_drop_model(name) FROM (SELECT DISTINCT name FROM app.ai_models) m" >/dev/null 2>&1
    err=$(run_calls "$who" "$path")
    ok "$([ -z "$err" ] && echo 0 || echo 1)" "$label calls every ai_* function with search_path = $path ${err:0:300}"
    is "$(qs "SELECT coalesce(string_agg(DISTINCT what, '; '), '') FROM trap.log")" "" "  and no trap ran"
  done
done

# every ai_* function of the extension is called above (aggregate support
# functions through their aggregates, the trigger function by section 5;
# a planner support function, returning internal, is not callable from SQL)
called=$(echo "$CALLS" | grep -oE 'app\.ai_[a-z_]+' | sed 's/^app\.//' | sort -u)
missing=$(qs "SELECT p.proname FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
               AND d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_learn')
              WHERE p.proname LIKE 'ai\_%' AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
                AND p.proname !~ '_(sfunc|combine|final)\$' ORDER BY 1" | sort -u | comm -23 - <(echo "$called"))
is "$missing" "" "every ai_* function of the extension is called by this test (add new ones to CALLS)"

# resuming a paused schedule (paused here by hand) writes the catalog and
# computes the next run with no trap on the victim's path
qv "SELECT app.ai_schedule('regpause', '30 2 * * *', 'linear_regression', 'public.houses', 'y')" >/dev/null
qs "UPDATE app.ai_catalog_schedules SET state = 'paused' WHERE name = 'regpause'" >/dev/null
is "$(qv "SET search_path = trap, pg_catalog, public; SELECT app.ai_resume_schedule('regpause') > pg_catalog.now();
          SELECT app.ai_unschedule('regpause');" | head -1)" "t" "the victim resumes a paused schedule with the trap schema first on its path"
is "$(qs "SELECT coalesce(string_agg(DISTINCT what, '; '), '') FROM trap.log")" "" "  and no trap ran"

# positive control: the traps do fire when names resolve through that search_path
psql -X -q -At -d $DB -c "SET ROLE $V; SET search_path = trap, pg_catalog, public;
  SELECT 1 = 1, 'a'::text = 'a'::text, now() IS NOT NULL, ai_predict('x', ARRAY[1.0]::float8[]);" >/dev/null 2>&1
is "$(qs "SELECT string_agg(DISTINCT what, '; ' ORDER BY what) FROM trap.log")" \
   "trap function now(); trap operator = (integer, integer); trap operator = (text, text); trap.ai_predict" \
   "control: the same traps run for unqualified names on that search_path (so they are live)"
qs "DELETE FROM trap.log" >/dev/null

# ---------- 5. a blob corrupted in place is caught at its next load ----------
qs "SELECT app.ai_drop_model(name) FROM (SELECT DISTINCT name FROM app.ai_models) m" >/dev/null 2>&1
qs "SET search_path = app, public;
    SELECT version FROM ai_train('cm', 'linear_regression', 'public.houses', 'y', '{\"exclude\": [\"id\", \"f\"]}');
    SELECT version FROM ai_train('crec', 'als', 'public.ratings', options => '{\"factors\": 3, \"iterations\": 3}');" >/dev/null
ID=$(qs "SELECT v.id FROM app.ai_catalog_versions v WHERE v.name = 'cm'")
RID=$(qs "SELECT v.id FROM app.ai_catalog_versions v WHERE v.name = 'crec'")
qs "CREATE TABLE public.saved AS SELECT * FROM app.ai_catalog_blobs" >/dev/null

# a second backend that has both models cached, driven through a fifo
mkfifo "$TMP/a.in"
psql -X -q -At -d $DB <"$TMP/a.in" >"$TMP/a.out" 2>&1 &
APID=$!
exec 7>"$TMP/a.in"
in_a() {   # run SQL in the cached backend; print what it printed
  local before SYNC
  before=$(wc -l <"$TMP/a.out")
  SYNC=$before-$RANDOM
  printf '%s\n' "$1" "SELECT 'sync-$SYNC';" >&7
  for _ in $(seq 1 300); do grep -q "^sync-$SYNC\$" "$TMP/a.out" && break; sleep 0.1; done
  tail -n +$((before + 1)) "$TMP/a.out" | grep -v "^sync-$SYNC\$"
}
PRED="SELECT round(app.ai_predict('cm', h)::numeric, 6) FROM public.houses h WHERE id OPERATOR(pg_catalog.=) 7;"
REC="SELECT count(*) FROM app.ai_recommend('crec', 3::bigint, 3);"
good=$(in_a "$PRED")
good_rec=$(in_a "$REC")
ok "$(echo "$good" | grep -qE '^-?[0-9.]+$' && echo 0 || echo 1)" "a second backend predicts and caches the model ($good)"

qs "UPDATE app.ai_catalog_blobs SET blob = overlay(blob PLACING '\\x55'::bytea FROM 100 FOR 1) WHERE version_id = $ID" >/dev/null
out=$(in_a "$PRED")
ok "$(echo "$out" | grep -q 'ERROR:  model "cm" is corrupt: model blob checksum mismatch' && echo 0 || echo 1)" \
   "after an in-place UPDATE ... overlay, the backend that cached the model gets an ERROR (${out%%$'\n'*})"
out=$(qs "SET search_path = app; SELECT ai_predict('cm', ARRAY[1.0, 2.0, 3.0, 4.0]::float8[])")
ok "$(echo "$out" | grep -q 'model "cm" is corrupt' && echo 0 || echo 1)" "so does a new backend (${out%%$'\n'*})"
out=$(qs "SELECT app.ai_export_model('cm') IS NOT NULL")
ok "$(echo "$out" | grep -q 'model "cm" is corrupt' && echo 0 || echo 1)" "and ai_export_model refuses to export it (${out%%$'\n'*})"
is "$(psql -X -q -At -d $DB -c "DO \$\$BEGIN PERFORM app.ai_predict('cm', ARRAY[1.0, 2.0, 3.0, 4.0]::float8[]);
         EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'sqlstate %', SQLSTATE; END\$\$" 2>&1 | sed -n 's/.*sqlstate //p')" \
   "XX001" "the error is data_corrupted (XX001)"

# a damaged header (declared length), then a truncation
qs "UPDATE app.ai_catalog_blobs b SET blob = s.blob FROM public.saved s WHERE s.version_id = b.version_id" >/dev/null
is "$(in_a "$PRED")" "$good" "restoring the blob in place: the cached backend predicts the same value again"
qs "UPDATE app.ai_catalog_blobs SET blob = overlay(blob PLACING '\\x09'::bytea FROM 9 FOR 1) WHERE version_id = $ID" >/dev/null
out=$(in_a "$PRED")
ok "$(echo "$out" | grep -q 'model blob length mismatch' && echo 0 || echo 1)" "a lying length field is caught (${out%%$'\n'*})"
qs "UPDATE app.ai_catalog_blobs b SET blob = pg_catalog.substr(s.blob, 1, 120) FROM public.saved s
    WHERE s.version_id = b.version_id AND b.version_id = $ID" >/dev/null
out=$(in_a "$PRED")
ok "$(echo "$out" | grep -q 'is corrupt: model blob length mismatch: header says [0-9]* bytes, blob has 120' && echo 0 || echo 1)" \
   "a truncated blob is caught (${out%%$'\n'*})"

# a recommender, corrupted while cached (one bit of byte 200 flipped)
qs "UPDATE app.ai_catalog_blobs SET blob = overlay(blob PLACING pg_catalog.set_byte('\\x00'::bytea, 0, pg_catalog.get_byte(blob, 199) OPERATOR(pg_catalog.#) 1) FROM 200 FOR 1) WHERE version_id = $RID" >/dev/null
out=$(in_a "$REC")
ok "$(echo "$out" | grep -q 'model "crec" is corrupt' && echo 0 || echo 1)" \
   "an als model corrupted while cached: ai_recommend gets an ERROR (${out%%$'\n'*})"
qs "UPDATE app.ai_catalog_blobs b SET blob = s.blob FROM public.saved s WHERE s.version_id = b.version_id" >/dev/null
is "$(in_a "$REC")" "$good_rec" "and recommends again once the blob is restored"

# a deleted blob row
qs "DELETE FROM app.ai_catalog_blobs WHERE version_id = $ID" >/dev/null
out=$(in_a "$PRED")
ok "$(echo "$out" | grep -q 'has no blob' && echo 0 || echo 1)" "a deleted blob row is an ERROR in the cached backend (${out%%$'\n'*})"

[ "$T_FAILED" -gt 0 ] && { echo "# cached backend log:"; sed "s/^/#   /" "$TMP/a.out"; }
exec 7>&-
wait $APID 2>/dev/null
rm -rf "$TMP"
q postgres "DROP DATABASE $DB" >/dev/null
q postgres "DROP ROLE $H" >/dev/null
q postgres "DROP ROLE $V" >/dev/null
done_testing
