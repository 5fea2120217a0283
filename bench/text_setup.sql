-- The generated review set of bench/run_text (issue 16): :docs documents,
-- each 30 filler words drawn from 5,000 shared ones (skewed: low numbers
-- are frequent) and 3 class words, each from its own class's 300 with
-- probability 0.8, else from the other class's: a known answer (about 90%
-- of rows carry a majority of their class's words) and nothing downloaded.
-- Every 5th row is the test set.  Fixed seed.
SELECT setseed(0.16);
DROP TABLE IF EXISTS text_docs;
CREATE TABLE text_docs AS
  WITH labels AS (
    SELECT d AS id, CASE WHEN random() < 0.5 THEN 'pos' ELSE 'neg' END AS label
      FROM generate_series(1, :docs) d),
  words AS (
    SELECT l.id, w.k,
           CASE WHEN w.k <= 30
                THEN 'w' || (1 + floor(5000 * power(random(), 2)))::int
                WHEN (random() < 0.8) = (l.label = 'pos')
                THEN 'good' || (1 + floor(300 * random()))::int
                ELSE 'bad' || (1 + floor(300 * random()))::int END AS word
      FROM labels l, generate_series(1, 33) w(k))
  SELECT l.id, l.label, l.id % 5 = 0 AS is_test,
         string_agg(word, ' ' ORDER BY md5(w.id::text || w.k::text)) AS body
    FROM labels l JOIN words w USING (id)
   GROUP BY l.id, l.label;
ANALYZE text_docs;
