--
-- Text columns as TF-IDF features (the option "text"): a generated review
-- set where a few planted words decide the class, among shared filler words
-- (docs/user-guide.md, "Text columns").
--
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- 600 reviews: 8 + 4 filler words (the same for rows 2j and 2j + 1, so they
-- tell nothing of the class) around one planted word per class, in
-- varying case and punctuation; every 50th review is NULL (an empty document)
CREATE TABLE tx_reviews AS
  SELECT i AS id,
         CASE WHEN i % 2 = 0 THEN 'pos' ELSE 'neg' END AS label,
         CASE WHEN i % 50 = 0 THEN NULL ELSE
           (SELECT string_agg(f[1 + ((i / 2) * 7 + k * 13 + k * k) % 20], ' ' ORDER BY k)
              FROM generate_series(1, 8) k)
           || ' ' || CASE WHEN i % 2 = 0
                          THEN (ARRAY['excellent', 'wonderful', 'Excellent!', 'WONDERFUL,'])[1 + (i / 2) % 4]
                          ELSE (ARRAY['awful', 'terrible', 'Awful...', 'TERRIBLE;'])[1 + (i / 2) % 4] END
           || ' ' || (SELECT string_agg(f[1 + ((i / 2) * 3 + k * 5) % 20], ' ' ORDER BY k)
                        FROM generate_series(1, 4) k)
         END AS body,
         CASE WHEN i % 2 = 0 THEN 4.0 ELSE 1.0 END + (i % 5) * 0.01 AS stars,
         (i % 3)::float8 AS noise
    FROM generate_series(1, 600) i,
         (SELECT ARRAY['the', 'movie', 'was', 'plot', 'actor', 'scene', 'film', 'story', 'really',
                       'quite', 'music', 'ending', 'we', 'saw', 'it', 'this', 'and', 'with', 'very',
                       'long'] AS f) w;

-- logistic regression: the accuracy is high, the planted words weigh most
SELECT rows_used,
       (metrics->'test'->>'accuracy')::float8 > 0.95 AS accurate,
       (metrics->'train'->>'accuracy')::float8 > 0.95 AS fits
  FROM ai_train('tx_lr', 'logistic_regression', 'tx_reviews', 'label',
                '{"text": ["body"], "exclude": ["id", "stars"], "min_df": 2}');
SELECT * FROM ai_model_features('tx_lr');
SELECT feature FROM ai_model_coefficients('tx_lr')
 ORDER BY abs(coefficient) DESC, feature LIMIT 4;

-- prediction reads the document as training did: the predicted classes on
-- every row agree with the training metrics' accuracy, NULL is the empty
-- document, and an unseen word changes nothing
SELECT avg((ai_classify('tx_lr', r) = label)::int) > 0.95 AS agrees FROM tx_reviews r;
SELECT ai_classify('tx_lr', r) FROM (SELECT 'What an EXCELLENT film' AS body, 1.0::float8 AS noise) r;
SELECT ai_classify('tx_lr', r) FROM (SELECT 'awful, awful plot' AS body, 1.0::float8 AS noise) r;
SELECT round((ai_predict_proba('tx_lr', r))[1]::numeric, 6) =
       round((ai_predict_proba('tx_lr', s))[1]::numeric, 6) AS null_is_empty
  FROM (SELECT NULL::text AS body, 1.0::float8 AS noise) r,
       (SELECT 'zzz qqq' AS body, 1.0::float8 AS noise) s;

-- ai_explain names the n-grams of the row, and they add up to the log-odds
SELECT feature, value IS NOT NULL AS has_value
  FROM ai_explain('tx_lr', (SELECT r FROM (SELECT 'an excellent movie' AS body, 0.0::float8 AS noise) r))
 ORDER BY feature;
SELECT abs(sum(contribution) - ln(p[2] / p[1])) < 1e-9 AS adds_up
  FROM ai_explain('tx_lr', (SELECT r FROM (SELECT 'an excellent movie' AS body, 0.0::float8 AS noise) r)),
       (SELECT ai_predict_proba('tx_lr', r) AS p
          FROM (SELECT 'an excellent movie' AS body, 0.0::float8 AS noise) r) q
 GROUP BY p;

-- max_features keeps the most frequent terms
SELECT rows_used FROM ai_train('tx_lr5', 'logistic_regression', 'tx_reviews', 'label',
                           '{"text": ["body"], "exclude": ["id", "stars", "noise"], "max_features": 5}');
SELECT feature, inputs FROM ai_model_features('tx_lr5');
SELECT feature FROM ai_model_coefficients('tx_lr5') ORDER BY feature;

-- linear regression on text: the stars follow the planted words
SELECT (metrics->'test'->>'r2')::float8 > 0.9 AS fits
  FROM ai_train('tx_lin', 'linear_regression', 'tx_reviews', 'stars',
                '{"text": ["body"], "exclude": ["id", "label"], "l2": 0.1}');
SELECT label, round(avg(ai_predict('tx_lin', r))::numeric, 0) AS stars
  FROM tx_reviews r GROUP BY label ORDER BY label;

-- kmeans separates two topics
CREATE TABLE tx_topics AS
  SELECT i AS id,
         (SELECT string_agg((CASE WHEN i % 2 = 0
                                  THEN ARRAY['goal', 'match', 'team', 'score', 'league', 'coach']
                                  ELSE ARRAY['oven', 'recipe', 'flour', 'sugar', 'bake', 'butter'] END)
                              [1 + (i * 7 + k * 5 + k * k) % 6], ' the ' ORDER BY k)
            FROM generate_series(1, 8) k) AS body
    FROM generate_series(1, 200) i;
SELECT rows_used FROM ai_train('tx_km', 'kmeans', 'tx_topics', NULL,
                               '{"text": ["body"], "exclude": ["id"], "k": 2}');
SELECT count(DISTINCT c) AS clusters, count(DISTINCT (topic, c)) AS topic_clusters
  FROM (SELECT id % 2 AS topic, ai_cluster('tx_km', t) AS c FROM tx_topics t) s;

-- xgboost on text
SELECT (metrics->'test'->>'accuracy')::float8 > 0.95 AS accurate
  FROM ai_train('tx_xgb', 'xgboost', 'tx_reviews', 'label',
                '{"text": ["body"], "exclude": ["id", "stars", "noise"], "n_estimators": 20}');
SELECT ai_classify('tx_xgb', r)
  FROM (SELECT 'the plot was terrible and the film very long' AS body) r;

-- errors
SELECT * FROM ai_train('tx_err', 'logistic_regression', 'tx_reviews', 'label',
                       '{"text": ["noise"], "exclude": ["id", "stars"]}');
SELECT * FROM ai_train('tx_err', 'logistic_regression', 'tx_reviews', 'label',
                       '{"text": ["bodyy"], "exclude": ["id", "stars"]}');
SELECT * FROM ai_train('tx_err', 'logistic_regression', 'tx_reviews', 'label',
                       '{"text": ["body"], "exclude": ["id", "stars", "body"]}');
SELECT * FROM ai_train('tx_err', 'logistic_regression', 'tx_reviews', 'label',
                       '{"text": ["body"], "exclude": ["id", "stars"], "method": "aggregate"}');
SELECT * FROM ai_train('tx_err', 'neural_net', 'tx_reviews', 'label',
                       '{"text": ["body"], "layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('tx_err', 'logistic_regression', 'tx_reviews', 'label',
                       '{"text": ["body"], "exclude": ["id", "stars"], "min_df": 1000}');
SELECT * FROM ai_evaluate('tx_lr', 'tx_reviews');
SELECT ai_predict('tx_lin', ARRAY[1.0, 2.0]);
