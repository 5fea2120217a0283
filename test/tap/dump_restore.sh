#!/usr/bin/env bash
# pg_dump + restore into a new database brings the models back (linear,
# logistic, xgboost), and they predict the same values.
set -u
. "$(dirname "$0")/lib.sh"
src=pgl_dump_src; dst=pgl_dump_dst
for db in $src $dst; do q postgres "DROP DATABASE IF EXISTS $db"; q postgres "CREATE DATABASE $db"; done
q $src "CREATE EXTENSION pg_learn"
q $src "CREATE TABLE h AS SELECT i AS id, (i % 13)::float8 AS a, (i * 7 % 11) AS b,
          (ARRAY['x','y','z'])[1 + i % 3] AS c, i % 4 = 0 AS f,
          1.5 * (i % 13) - (i * 7 % 11) + CASE i % 3 WHEN 0 THEN 4 ELSE 0 END + sin(i) AS y
        FROM generate_series(1, 500) i"
q $src "SELECT version FROM ai_train('reg', 'linear_regression', 'h', 'y', '{\"exclude\": [\"id\", \"f\"], \"l2\": 0.1}')" >/dev/null
q $src "SELECT version FROM ai_train('reg', 'linear_regression', 'h', 'y', '{\"exclude\": [\"id\", \"f\"], \"l2\": 5}')" >/dev/null
q $src "SELECT ai_deploy('reg', 1)" >/dev/null
q $src "SELECT version FROM ai_train('cls', 'logistic_regression', 'h', 'f', '{\"exclude\": [\"id\"]}')" >/dev/null
q $src "SELECT version FROM ai_train('gbt', 'xgboost', 'h', 'y', '{\"exclude\": [\"id\"], \"n_estimators\": 10}')" >/dev/null
q postgres "DROP ROLE IF EXISTS pgl_dump_reader" >/dev/null
q postgres "CREATE ROLE pgl_dump_reader"
q $src "SELECT ai_grant('cls', 'pgl_dump_reader', 'predict')" >/dev/null
PRED="SELECT string_agg(ai_predict('reg', h)::text || '/' || ai_classify('cls', h) || '/' ||
        (ai_predict_proba('cls', h))[2]::text || '/' || ai_predict('gbt', h)::text, ',' ORDER BY id) FROM h"
MODELS="SELECT string_agg(name || ':' || version || ':' || deployed || ':' || blob_size, ',' ORDER BY name, version) FROM ai_models"
before=$(q $src "$PRED"); models_before=$(q $src "$MODELS")

pg_dump -d $src >"${TMPDIR:-/tmp}/pgl_dump.sql"
ok $? "pg_dump of a database with models"
psql -X -q -v ON_ERROR_STOP=1 -d $dst -f "${TMPDIR:-/tmp}/pgl_dump.sql" >/dev/null 2>&1
ok $? "restore into a new database"

is "$(q $dst "$MODELS")" "$models_before" "the models, versions, deployed flags and blob sizes came back"
is "$(q $dst "$PRED")" "$before" "restored models predict the same values for all 500 rows"
is "$(q $dst "SELECT version FROM ai_train('reg', 'linear_regression', 'h', 'y', '{\"exclude\": [\"id\", \"f\"]}')")" "3" \
   "training after a restore continues the version numbers"
is "$(q $dst "SELECT count(*) FROM ai_catalog_blobs")" "5" "one blob per version after restore and retrain"
grep -q "pgl_dump_reader" "${TMPDIR:-/tmp}/pgl_dump.sql"
ok $? "the dump names the grantee of a model privilege by role name (regrole)"
is "$(q $dst "SELECT string_agg(name || ':' || grantee || ':' || privilege, ',') FROM ai_model_grants")" \
   "cls:pgl_dump_reader:predict" "model privileges came back"
is "$(q $dst "SET ROLE pgl_dump_reader; SELECT count(DISTINCT name) FROM ai_models")" "1" \
   "and the grantee sees the granted model only"
rm -f "${TMPDIR:-/tmp}/pgl_dump.sql"
for db in $src $dst; do q postgres "DROP DATABASE $db"; done
q postgres "DROP ROLE pgl_dump_reader"
done_testing
