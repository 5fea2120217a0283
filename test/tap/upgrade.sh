#!/usr/bin/env bash
# The upgrades 0.1.0 -> 0.2.0 -> 0.3.0: a database created at 0.1.0, holding
# models written by the 0.1.0 code (test/upgrade/fixtures_0.1.0.sql, exported
# from a build of the commit that landed as 0.1.0) and a model trained at
# 0.1.0, is updated with ALTER EXTENSION pg_learn UPDATE TO '0.2.0', then to
# 0.3.0.
#
# Two kinds of equality, on purpose:
# - against the predictions the 0.1.0 code recorded on another machine: within
#   1e-12 relative for float64 models, 1e-6 for ALS (float32 factors, whose
#   dot products OpenBLAS sums in another order per kernel), since OpenBLAS
#   picks its kernels by CPU (or OPENBLAS_CORETYPE) and the last bits of a BLAS
#   result differ between machines; class labels, cluster numbers and top-k
#   lists exactly;
# - on this machine, before and after each update: bit for bit.
# The updated extension has exactly the objects of a fresh installation.
set -u
. "$(dirname "$0")/lib.sh"
UP="$(dirname "$0")/../upgrade"
db=pgl_upgrade
fresh=pgl_upgrade_fresh

q postgres "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
q postgres "DROP DATABASE IF EXISTS $fresh" >/dev/null 2>&1
q postgres "CREATE DATABASE $db" >/dev/null
q postgres "CREATE DATABASE $fresh" >/dev/null
q postgres "DROP ROLE IF EXISTS pgl_upgrade_reader" >/dev/null 2>&1

q $db "CREATE EXTENSION pg_learn VERSION '0.1.0'"
is "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'pg_learn'")" "0.1.0" "installed at 0.1.0"
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$UP/fixture_data.sql" >/dev/null &&
  psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$UP/fixtures_0.1.0.sql" >/dev/null
ok $? "the 0.1.0 fixtures load (blobs written by the 0.1.0 code, and their predictions)"
is "$(q $db "SELECT count(*) FROM up_blobs b WHERE ai_import_model(b.name, b.blob) = 1")" "4" \
   "the four 0.1.0 blobs import (linear, logistic, kmeans, als)"
# a model trained at 0.1.0 with this release's library
q $db "SELECT version FROM ai_train('up_at010', 'linear_regression', 'SELECT a, b, c, y FROM up_houses', 'y', '{\"l2\": 0.1}')" >/dev/null
ok $? "a model trains while the extension is at 0.1.0"

# all predictions of the models, as text with every digit
PRED="SELECT 'lin', id, ai_predict('up_lin', h)::text FROM up_houses h
UNION ALL SELECT 'log', id, ai_predict_proba('up_log', h)::text FROM up_houses h
UNION ALL SELECT 'log_class', id, ai_classify('up_log', h) FROM up_houses h
UNION ALL SELECT 'km', id, ai_cluster('up_km', h)::text FROM up_houses h
UNION ALL SELECT 'als', u * 1000 + i, ai_predict('up_als', u::bigint, i::bigint)::text
            FROM generate_series(1, 40) u, generate_series(1, 25) i
UNION ALL SELECT 'als_top', u, (SELECT array_agg(r.i) FROM ai_recommend('up_als', u::bigint, 5) AS r(i, s))::text
            FROM generate_series(1, 40) u
UNION ALL SELECT 'at010', id, ai_predict('up_at010', h)::text FROM up_houses h"
# rows of up_expected (the 0.1.0 code's, recorded on another machine) that
# differ from now: numbers by more than 1e-12 relative, the rest as text
mismatches() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "SET extra_float_digits = 3" \
    -c "CREATE FUNCTION pg_temp.floats(v text) RETURNS float8[] LANGUAGE sql AS
          \$\$ SELECT CASE WHEN left(v, 1) = '{' THEN v::float8[] ELSE ARRAY[v::float8] END \$\$" \
    -c "CREATE FUNCTION pg_temp.close(a text, b text, tol float8) RETURNS boolean LANGUAGE sql AS
          \$\$ SELECT a IS NOT NULL AND b IS NOT NULL AND
                    (SELECT bool_and(coalesce(abs(x - y) <= tol * greatest(abs(x), abs(y), 1e-300), false))
                       FROM unnest(pg_temp.floats(a), pg_temp.floats(b)) u(x, y)) \$\$" \
    -c "CREATE TEMP TABLE now_pred (what text, id bigint, value text)" \
    -c "INSERT INTO now_pred $PRED" \
    -c "SELECT count(*) FROM up_expected e LEFT JOIN now_pred n USING (what, id)
         WHERE CASE WHEN e.what IN ('lin', 'log', 'at010') THEN NOT pg_temp.close(e.value, n.value, 1e-12)
                    WHEN e.what = 'als' THEN NOT pg_temp.close(e.value, n.value, 1e-6)
                    ELSE n.value IS DISTINCT FROM e.value END" 2>&1 | tail -1
}
# on this machine, bit for bit: snapshot now (as text with every digit), and
# later count the rows that differ from the snapshot
snapshot() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "SET extra_float_digits = 3" \
    -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS snap_pred" \
    -c "CREATE TABLE snap_pred (what text, id bigint, value text)" \
    -c "INSERT INTO snap_pred $PRED" >/dev/null
}
changed_since_snapshot() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "SET extra_float_digits = 3" \
    -c "CREATE TEMP TABLE now_pred (what text, id bigint, value text)" \
    -c "INSERT INTO now_pred $PRED" \
    -c "SELECT count(*) FROM snap_pred s FULL JOIN now_pred n USING (what, id)
         WHERE n.value IS DISTINCT FROM s.value" 2>&1 | tail -1
}
save_at010() {
  q $db "CREATE TABLE up_at010_pred AS SELECT id, ai_predict('up_at010', h) AS p FROM up_houses h"
}
is "$(mismatches)" "0" "before the update: this release predicts what the 0.1.0 code did (2,640 values; numbers within 1e-12 relative, ALS 1e-6)"
snapshot
save_at010
versions_before=$(q $db "SELECT count(*) FROM ai_catalog_versions")

q $db "ALTER EXTENSION pg_learn UPDATE TO '0.2.0'"
ok $? "ALTER EXTENSION pg_learn UPDATE TO '0.2.0'"
is "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'pg_learn'")" "0.2.0" "now at 0.2.0"
is "$(mismatches)" "0" "after the update: the 0.1.0 models predict what the 0.1.0 code did (within the same tolerances)"
is "$(changed_since_snapshot)" "0" "after the update: every prediction is the same float8, bit for bit, as before it on this machine"
is "$(q $db "SELECT count(*) FROM up_at010_pred o, up_houses h WHERE o.id = h.id AND o.p IS DISTINCT FROM ai_predict('up_at010', h)")" \
   "0" "after the update: the model trained at 0.1.0 predicts exactly as before"
is "$(q $db "SELECT count(*) FROM ai_catalog_versions")" "$versions_before" "the update changed no model version"
is "$(q $db "SELECT string_agg(name || ':' || version || ':' || deployed, ' ' ORDER BY name) FROM ai_models")" \
   "up_als:1:true up_at010:1:true up_km:1:true up_lin:1:true up_log:1:true" "ai_models lists the models, deployed"

# what 0.2.0 adds works on the old models
q $db "CREATE ROLE pgl_upgrade_reader; GRANT SELECT ON up_houses TO pgl_upgrade_reader" >/dev/null
q $db "SELECT ai_grant('up_lin', 'pgl_upgrade_reader', 'predict')" >/dev/null
is "$(q $db "SET ROLE pgl_upgrade_reader; SELECT count(*) FROM ai_models")" "1" \
   "model privileges apply to old models: a grantee sees the one model granted"
is "$(q $db "SET ROLE pgl_upgrade_reader; SELECT (SELECT count(*) FROM up_houses h WHERE ai_predict('up_lin', h) IS NOT NULL) > 0")" \
   "t" "... and predicts with it"
is "$(q $db "SELECT count(*) FROM ai_feature_importance('up_at010')")" "3" "ai_feature_importance on a model trained at 0.1.0"
q $db "SELECT version FROM ai_train('up_lin', 'linear_regression', 'SELECT a, b, c, y FROM up_houses', 'y', '{\"l2\": 0.5, \"method\": \"aggregate\"}')" >/dev/null
ok $? "an old model retrains with a 0.2.0 option (method aggregate) into version 2"
is "$(q $db "SELECT version FROM ai_models WHERE name = 'up_lin' AND deployed")" "2" "... which is deployed"

# the updated extension is the fresh one
q $fresh "CREATE EXTENSION pg_learn VERSION '0.2.0'" >/dev/null
a=$(psql -X -q -At -d $db -f "$UP/describe.sql")
b=$(psql -X -q -At -d $fresh -f "$UP/describe.sql")
is "$(diff <(echo "$a") <(echo "$b") | head -5)" "" \
   "the updated extension has exactly the objects of a fresh 0.2.0 install ($(echo "$b" | wc -l) definition lines)"

# 0.2.0 -> 0.3.0
snapshot
q $db "ALTER EXTENSION pg_learn UPDATE"
ok $? "ALTER EXTENSION pg_learn UPDATE (0.2.0 -> 0.3.0)"
is "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'pg_learn'")" "0.3.0" "now at 0.3.0"
is "$(changed_since_snapshot)" "0" "after the update to 0.3.0: every prediction is the same float8, bit for bit"
is "$(q $db "SELECT string_agg(name || ':' || version || ':' || deployed, ' ' ORDER BY name, version) FROM ai_models")" \
   "up_als:1:true up_at010:1:true up_km:1:true up_lin:1:false up_lin:2:true up_log:1:true" "ai_models lists every version after the update"
is "$(q $db "SELECT string_agg(attrelid::regclass::text || '.' || attname, ' ' ORDER BY attrelid::regclass::text, attname)
               FROM pg_attribute WHERE attname IN ('name', 'seconds', 'model_name', 'training_seconds')
                AND attrelid IN ('ai_catalog_versions'::regclass, 'ai_catalog_grants'::regclass,
                                 'ai_catalog_jobs'::regclass) AND NOT attisdropped")" \
   "ai_catalog_grants.name ai_catalog_jobs.name ai_catalog_versions.name ai_catalog_versions.seconds" \
   "the catalog tables call the model name and the duration seconds (renamed columns, data kept)"
q $db "SELECT version FROM ai_train('up_log', 'logistic_regression', 'SELECT a, b, c, y > 5 AS y FROM up_houses', 'y')" >/dev/null
ok $? "an old model retrains at 0.3.0"
is "$(q $db "SELECT count(*) FROM ai_catalog_versions WHERE name = 'up_log'")" "2" "... into version 2 of the same model"
q postgres "DROP DATABASE $fresh" >/dev/null
q postgres "CREATE DATABASE $fresh" >/dev/null
q $fresh "CREATE EXTENSION pg_learn" >/dev/null
a=$(psql -X -q -At -d $db -f "$UP/describe.sql")
b=$(psql -X -q -At -d $fresh -f "$UP/describe.sql")
is "$(diff <(echo "$a") <(echo "$b") | head -5)" "" \
   "the updated extension has exactly the objects of a fresh 0.3.0 install ($(echo "$b" | wc -l) definition lines)"

q postgres "DROP DATABASE $db" >/dev/null
q postgres "DROP DATABASE $fresh" >/dev/null
q postgres "DROP ROLE pgl_upgrade_reader" >/dev/null 2>&1
done_testing
