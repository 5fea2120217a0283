--
-- A text column of a neural_net into token ids (the option "text" with
-- "tokenizer", "vocab_size", "max_len"; docs/neural-networks.md, "Text").
-- Generated reviews of two clauses, one with a positive and one with a
-- negative adjective (in either order), and a "not" two words before one
-- of them: "good and not bad" is positive, "not good and bad" negative.
-- Both classes have the same bag of words, so TF-IDF with logistic
-- regression and an average of word embeddings stay near chance, while an
-- LSTM over the token ids reads which adjective the "not" belongs to.
--
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

SELECT setseed(0.42);
CREATE TABLE nt_reviews AS
WITH r AS (
  SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
         random() AS r5, random() AS r6, random() AS r7, random() AS r8, random() AS r9
    FROM generate_series(1, 1200) i),
w AS (
  SELECT i, r1, r2, r3, r6, r7,
         (ARRAY['good', 'great', 'nice', 'fine'])[1 + floor(r4 * 4)::int] AS pos,
         (ARRAY['bad', 'awful', 'poor', 'dull'])[1 + floor(r8 * 4)::int] AS neg,
         (ARRAY['really', 'quite', 'very', 'truly'])[1 + floor(r5 * 4)::int] AS f1,
         (ARRAY['really', 'quite', 'very', 'truly'])[1 + floor(r9 * 4)::int] AS f2
    FROM r)
SELECT i AS id,
       concat_ws(' ',
         (ARRAY['honestly', 'well', 'so', 'overall', 'today'])[1 + floor(r1 * 5)::int],
         'the', (ARRAY['movie', 'food', 'service', 'hotel', 'book', 'show'])[1 + floor(r2 * 6)::int],
         'was', CASE WHEN r3 < 0.5 THEN 'not' END, f1, CASE WHEN r6 < 0.5 THEN pos ELSE neg END,
         'and', CASE WHEN r3 >= 0.5 THEN 'not' END, f2, CASE WHEN r6 < 0.5 THEN neg ELSE pos END,
         (ARRAY['', 'in the end', 'for me', 'to be honest'])[1 + floor(r7 * 4)::int]) AS review,
       CASE WHEN (r3 < 0.5) = (r6 < 0.5) THEN 'negative' ELSE 'positive' END AS sentiment
  FROM w;
SELECT review, sentiment FROM nt_reviews ORDER BY id LIMIT 4;
SELECT sentiment, count(*) FROM nt_reviews GROUP BY 1 ORDER BY 1;

-- TF-IDF (1- and 2-grams) + logistic regression: near chance
SELECT (metrics->'test'->>'accuracy')::float8 < 0.65 AS near_chance
  FROM ai_train('nt_tfidf', 'logistic_regression', 'SELECT review, sentiment FROM nt_reviews',
                'sentiment', '{"text": ["review"]}');
-- so is a network over the average of the word embeddings (a bag of words)
SELECT (metrics->'test'->>'accuracy')::float8 < 0.65 AS near_chance
  FROM ai_train('nt_bag', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                '{"text": ["review"], "tokenizer": "word",
                  "layers": [{"embedding": {"dim": 16}}, {"global_avg_pool1d": {}},
                             {"dense": {"units": 16, "activation": "relu"}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 10, "learning_rate": 0.01}');

-- word vocabulary, embedding (vocab left out), LSTM: reads the negation
SELECT (metrics->'test'->>'accuracy')::float8 > 0.9 AS accurate, metrics->>'network' AS network
  FROM ai_train('nt_word', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                '{"text": ["review"], "tokenizer": "word",
                  "layers": [{"embedding": {"dim": 16}}, {"lstm": {"units": 16}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 20, "learning_rate": 0.01}');
SELECT * FROM ai_model_features('nt_word');
SELECT ai_classify('nt_word', r) = sentiment AS right, review
  FROM (VALUES ('so the food was not very good and really bad', 'negative'),
               ('Well, the HOTEL was really awful... and NOT quite fine!', 'negative'),
               ('today the book was not quite bad and very nice to be honest', 'positive'),
               ('the zeppelin was truly great and not really dull', 'positive')) AS r(review, sentiment);
-- a NULL text is an empty document; probabilities sum to 1
SELECT ai_classify('nt_word', r) IS NOT NULL AS classified,
       round((SELECT sum(p) FROM unnest(ai_predict_proba('nt_word', r)) p)::numeric, 6) AS total
  FROM (SELECT NULL::text AS review) r;
-- ai_predict_tensor reads the text too: the LSTM's state is a text embedding
SELECT array_length(ai_predict_tensor('nt_word', r, 'lstm'), 1) AS dims
  FROM (SELECT 'the food was not very good and really bad' AS review) r;
-- ai_evaluate encodes the rows the same way
SELECT (ai_evaluate('nt_word', 'SELECT review, sentiment FROM nt_reviews WHERE id <= 200')
          ->>'accuracy')::float8 > 0.9 AS evaluated;
-- ... and refuses a column of another type than text by name
SELECT ai_evaluate('nt_word', 'SELECT id AS review, sentiment FROM nt_reviews');

-- export and import: the same bytes, the same predictions
SELECT ai_export_model('nt_word') AS blob \gset
SELECT ai_import_model('nt_word_copy', :'blob'::bytea) IS NOT NULL AS imported;
SELECT ai_export_model('nt_word_copy') = :'blob'::bytea AS same_bytes;
SELECT count(*) FILTER (WHERE ai_predict_proba('nt_word', r) = ai_predict_proba('nt_word_copy', r))
         AS same_predictions
  FROM nt_reviews r WHERE id <= 100;

-- BPE subwords (the default tokenizer), a small vocabulary: words split into
-- pieces; the default max_len is the 95th percentile of the training lengths
SELECT (metrics->'test'->>'accuracy')::float8 > 0.9 AS accurate
  FROM ai_train('nt_bpe', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                '{"text": ["review"], "vocab_size": 60,
                  "layers": [{"embedding": {"vocab": 64, "dim": 16}}, {"lstm": {"units": 16}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 20, "learning_rate": 0.01}');
SELECT kind, encoding FROM ai_model_features('nt_bpe');
SELECT ai_classify('nt_bpe', r) = sentiment AS right
  FROM (VALUES ('so the food was not very good and really bad', 'negative'),
               ('the show was quite nice and not very poor', 'positive')) AS r(review, sentiment);
SELECT ai_export_model('nt_bpe') AS blob \gset
SELECT ai_import_model('nt_bpe_copy', :'blob'::bytea) IS NOT NULL AS imported;
SELECT ai_export_model('nt_bpe_copy') = :'blob'::bytea AS same_bytes;

-- max_len cuts longer texts: 4 ids never reach an adjective
SELECT (metrics->'test'->>'accuracy')::float8 < 0.7 AS cut
  FROM ai_train('nt_cut', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                '{"text": ["review"], "tokenizer": "word", "max_len": 4,
                  "layers": [{"embedding": {"dim": 8}}, {"global_avg_pool1d": {}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 2}');
SELECT encoding FROM ai_model_features('nt_cut');

-- errors
-- the first layer must be an embedding
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
-- vocab_size and max_len out of range
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "vocab_size": 2,
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "max_len": 0,
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "tokenizer": "char",
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
-- one text column per network
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, review AS title, sentiment FROM nt_reviews',
                       'sentiment',
                       '{"text": ["review", "title"],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
-- an embedding smaller than the learned vocabulary
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "tokenizer": "word",
                         "layers": [{"embedding": {"vocab": 10, "dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
-- the text column: missing, not text, not alone, without words
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["body"],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT id, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["id"],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT id, review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT ''! ?'' AS review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
-- input_shape does not apply; without "text" an embedding needs its vocab
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT review, sentiment FROM nt_reviews', 'sentiment',
                       '{"text": ["review"], "input_shape": [8],
                         "layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT * FROM ai_train('nt_e', 'neural_net', 'SELECT ARRAY[1, 2] AS ids, sentiment FROM nt_reviews', 'sentiment',
                       '{"layers": [{"embedding": {"dim": 4}}, {"global_avg_pool1d": {}},
                                    {"dense": {"units": 2, "activation": "softmax"}}]}');
-- at prediction the network reads text, not an array
SELECT ai_classify('nt_word', ARRAY[1, 2, 3]::float8[]);
SELECT ai_classify('nt_word', r) FROM (SELECT 42 AS review) r;
