#!/usr/bin/env bash
# The fuzzer's seed corpus (test/fuzz/corpus) through the SQL import path:
# every valid-* blob imports and is then used by the ai_* functions that fit
# its algorithm (the glue, which the fuzz harness does not reach), every
# other blob is refused with a data_corrupted ERROR, and the server never
# crashes.  Also: predictions that overflow are an ERROR, never a NaN.
set -u
. "$(dirname "$0")/lib.sh"
DB=pgl_corpus
CORPUS="$(cd "$(dirname "$0")/../fuzz/corpus" && pwd)"
q postgres "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
q postgres "CREATE DATABASE $DB" >/dev/null
q $DB "CREATE EXTENSION pg_learn" >/dev/null
start=$(q $DB "SELECT pg_postmaster_start_time()")
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

n=0; valid_ok=0; valid_bad=""; refused=0; refused_bad=""
for f in "$CORPUS"/*; do
  n=$((n + 1)); name="c$n"; base=$(basename "$f")
  out=$(psql -X -q -At -d $DB -c "SELECT ai_import_model('$name', decode('$(hex "$f")', 'hex'))" 2>&1)
  case "$base" in
    valid-*)
      if [ "$out" = "1" ]; then valid_ok=$((valid_ok + 1)); else valid_bad+=" $base:${out:0:80}"; fi
      # use it the way its algorithm allows; any answer or ERROR is fine, a crash is not
      algo=$(q $DB "SELECT algorithm FROM ai_models WHERE name = '$name'")
      nf=$(q $DB "SELECT count(*) FROM ai_model_features('$name')" 2>/dev/null || echo 0)
      arr="pg_catalog.array_fill(1.5::float8, ARRAY[greatest($nf, 1)])"
      case "$algo" in
        linear_regression) sql="SELECT ai_predict('$name', $arr); SELECT count(*) FROM ai_model_coefficients('$name');" ;;
        logistic_regression) sql="SELECT ai_classify('$name', $arr); SELECT ai_predict_proba('$name', $arr);
                                  SELECT ai_model_classes('$name'); SELECT count(*) FROM ai_model_coefficients('$name');" ;;
        kmeans) sql="SELECT ai_cluster('$name', $arr); SELECT count(*) FROM ai_centroids('$name');" ;;
        isolation_forest)
          # the seed's features: x, y (numeric), color
          rec="(SELECT 1.5::float8 AS x, NULL::float8 AS y, 'red'::text AS color) r"
          sql="SELECT ai_predict('$name', r) FROM $rec; SELECT a.* FROM $rec, LATERAL ai_detect_anomalies('$name', r) a;
               SELECT a.* FROM $rec, LATERAL ai_detect_anomalies('$name', r, 0.9) a;" ;;
        als) sql="SELECT count(*) FROM ai_recommend('$name', 7::bigint, 3); SELECT count(*) FROM ai_recommend('$name', 'ann', 3);
                  SELECT count(*) FROM ai_recommend_all('$name', 2); SELECT count(*) FROM ai_recommend_all_text('$name', 2);
                  SELECT count(*) FROM ai_similar_items('$name', 95::bigint, 2); SELECT count(*) FROM ai_similar_items('$name', 'fig', 2);
                  SELECT count(*) FROM ai_similar_users('$name', 17::bigint, 2);
                  SELECT count(*) FROM ai_recommend_for_ratings('$name', ARRAY[-5, 95]::bigint[], ARRAY[4, 1]::float8[], 3);
                  SELECT count(*) FROM ai_recommend_for_ratings('$name', ARRAY['apple'], ARRAY[4]::float8[], 3);
                  SELECT ai_predict('$name', 7::bigint, 95::bigint);" ;;
        xgboost|random_forest)
          # the trees' seeds: height (numeric, impute NaN: NULL follows the default directions), color
          rec="(SELECT 1.5::float8 AS height, 'green'::text AS color) r"
          nul="(SELECT NULL::float8 AS height, NULL::text AS color) r"
          sql="SELECT ai_predict('$name', r) FROM $rec; SELECT ai_predict('$name', r) FROM $nul;
               SELECT ai_classify('$name', r) FROM $nul; SELECT ai_predict_proba('$name', r) FROM $rec;
               SELECT ai_predict('$name', $arr); SELECT ai_predict_proba('$name', $arr);
               SELECT count(*) FROM $rec, LATERAL ai_explain('$name', r) e;
               SELECT count(*) FROM $nul, LATERAL ai_explain('$name', r) e;
               SELECT count(*) FROM ai_feature_importance('$name', kind => 'gain');
               SELECT count(*) FROM ai_feature_importance('$name', kind => 'cover');
               SELECT count(*) FROM ai_feature_importance('$name', kind => 'weight');
               SELECT length(ai_export_model('$name', format => 'xgboost_json'));" ;;
        *) sql="SELECT 1" ;;
      esac
      while IFS= read -r stmt; do
        [ -n "$stmt" ] && psql -X -q -At -d $DB -c "$stmt" >/dev/null 2>&1
      done <<<"$(echo "$sql" | tr ';' '\n')"
      ;;
    *)
      if echo "$out" | grep -q 'ERROR:  the imported value is not a valid pg_learn model: '; then
        refused=$((refused + 1)); else refused_bad+=" $base:${out:0:80}"; fi
      ;;
  esac
done
nvalid=$(ls "$CORPUS" | grep -c '^valid-')
is "$valid_ok" "$nvalid" "all $nvalid valid-* corpus blobs import through ai_import_model${valid_bad}"
is "$refused" "$((n - nvalid))" "all $((n - nvalid)) damaged corpus blobs are refused with a clear ERROR${refused_bad:0:400}"
is "$(q $DB "SELECT pg_postmaster_start_time()")" "$start" \
   "the server never restarted while the imported models were used by the ai_* functions"

# overflow in prediction is an ERROR (22003), never NaN or Infinity
q $DB "CREATE TABLE big AS SELECT i::float8 AS x1, (i * 7 % 11)::float8 AS x2, 2 * i - 2 * (i * 7 % 11) AS y
       FROM generate_series(1, 200) i" >/dev/null
q $DB "CREATE TABLE sharp AS SELECT (i % 17) / 17.0 AS x1, (i % 13) / 13.0 AS x2,
         (i % 17) / 17.0 > (i % 13) / 13.0 AS f,
         CASE WHEN (i % 17) / 17.0 - (i % 13) / 13.0 > 0.2 THEN 'a'
              WHEN (i % 17) / 17.0 - (i % 13) / 13.0 < -0.2 THEN 'c' ELSE 'b' END AS c
       FROM generate_series(1, 400) i" >/dev/null
q $DB "SELECT version FROM ai_train('big_lin', 'linear_regression', 'big', 'y')" >/dev/null
q $DB "SELECT version FROM ai_train('big_bin', 'logistic_regression', 'SELECT x1, x2, f FROM sharp', 'f')" >/dev/null
q $DB "SELECT version FROM ai_train('big_log', 'logistic_regression', 'SELECT x1, x2, c FROM sharp', 'c')" >/dev/null
out=$(psql -X -q -At -d $DB -c "SELECT ai_predict('big_lin', ARRAY[1.5e308, 1.5e308])" 2>&1)
ok "$(echo "$out" | grep -q 'ERROR:  prediction failed: the prediction of row 1 is not finite' && echo 0 || echo 1)" \
   "a linear prediction that overflows is an ERROR (${out%%$'\n'*})"
out=$(psql -X -q -At -d $DB -c "SELECT ai_predict_proba('big_bin', ARRAY[1.5e308, 1.5e308])" 2>&1)
ok "$(echo "$out" | grep -q 'ERROR:  prediction failed: the score of row 1 is not finite' && echo 0 || echo 1)" \
   "a binary logistic score that overflows is an ERROR (not a probability of 0 or 1 of the wrong sign) (${out%%$'\n'*})"
out=$(psql -X -q -At -d $DB -c "SELECT ai_predict_proba('big_log', ARRAY[1.5e308, -1.5e308])" 2>&1)
ok "$(echo "$out" | grep -q 'ERROR:  prediction failed: the score of class [0-9] for row 1 is not finite' && echo 0 || echo 1)" \
   "a multinomial logistic score that overflows is an ERROR (${out%%$'\n'*})"
q $DB "SELECT version FROM ai_train('big_km', 'kmeans', 'SELECT x1, x2 FROM sharp', options => '{\"k\": 3}')" >/dev/null
out=$(psql -X -q -At -d $DB -c "SELECT ai_cluster('big_km', ARRAY[1e200, -1e200])" 2>&1)
ok "$(echo "$out" | grep -q 'ERROR:  prediction failed: the distances of row 1 to the centroids are not finite' && echo 0 || echo 1)" \
   "a kmeans assignment whose distances overflow is an ERROR (${out%%$'\n'*})"
is "$(q $DB "SELECT ai_predict('big_lin', ARRAY[1e10, 1e10]) = ai_predict('big_lin', ARRAY[1e10, 1e10])")" "t" \
   "large but finite inputs still predict"
q postgres "DROP DATABASE $DB" >/dev/null
done_testing
