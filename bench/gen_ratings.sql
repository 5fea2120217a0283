-- Ratings that look like real 1..5 star data, for the recommender's
-- defaults (bench/run_als_defaults) and its tests (sql/recommend_auto.sql).
--
--   SELECT * FROM pg_temp.gen_ratings(n_users, n_items, seed, ...)
--
-- * item popularity is Zipf: item j (0-based, item_id = j + 1) is drawn
--   with weight 1 / (j + 1)^zipf_s, without replacement within a user;
-- * ratings per user are lognormal, exp(ln(median) + sigma z), at least
--   min_per_user and at most half the items;
-- * the true rating is mu + b_u + c_i + P_u . Q_i + noise, with biases
--   N(0, user_bias_sd^2), N(0, item_bias_sd^2), taste factors of rank
--   `rank` whose dot products have a standard deviation of taste_sd, and
--   noise N(0, noise_sd^2); the star is that value rounded and clipped to
--   1..5.
--
-- Deterministic: setseed(seed) and one plpgsql loop (PostgreSQL's
-- random() is the same on every platform), so a test may assert on it.
CREATE FUNCTION pg_temp.gen_ratings(n_users int, n_items int, seed float8,
                                    median_per_user float8 DEFAULT 30, sigma float8 DEFAULT 0.9,
                                    min_per_user int DEFAULT 20, rank int DEFAULT 8,
                                    taste_sd float8 DEFAULT 0.5, noise_sd float8 DEFAULT 0.8,
                                    zipf_s float8 DEFAULT 1.0, user_bias_sd float8 DEFAULT 0.4,
                                    item_bias_sd float8 DEFAULT 0.5, mu float8 DEFAULT 3.6)
RETURNS TABLE (user_id int, item_id int, rating int)
LANGUAGE plpgsql AS $$
DECLARE
  cum float8[] := array_fill(0::float8, ARRAY[n_items]);
  q float8[] := array_fill(0::float8, ARRAY[n_items * rank]);
  c float8[] := array_fill(0::float8, ARRAY[n_items]);
  p float8[] := array_fill(0::float8, ARRAY[rank]);
  stamp int[] := array_fill(0, ARRAY[n_items]);
  fsd float8 := sqrt(taste_sd / sqrt(rank::float8));  -- sd of a user and an item factor
  total float8 := 0;
  n int; got int; lo int; hi int; mid int; j int; b float8; x float8; z float8;
BEGIN
  PERFORM setseed(seed);
  FOR j IN 1 .. n_items LOOP
    total := total + 1.0 / power(j, zipf_s);
    cum[j] := total;
    c[j] := item_bias_sd * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
    FOR d IN 1 .. rank LOOP
      q[(j - 1) * rank + d] := fsd * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
    END LOOP;
  END LOOP;
  FOR u IN 1 .. n_users LOOP
    z := sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
    n := least(greatest(round(exp(ln(median_per_user) + sigma * z))::int, min_per_user), n_items / 2);
    b := user_bias_sd * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
    FOR d IN 1 .. rank LOOP
      p[d] := fsd * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
    END LOOP;
    got := 0;
    WHILE got < n LOOP
      -- the first j with cum[j] >= a uniform draw of the total
      x := random() * total;
      lo := 1; hi := n_items;
      WHILE lo < hi LOOP
        mid := (lo + hi) / 2;
        IF cum[mid] >= x THEN hi := mid; ELSE lo := mid + 1; END IF;
      END LOOP;
      CONTINUE WHEN stamp[lo] = u;
      stamp[lo] := u;
      got := got + 1;
      x := mu + b + c[lo] + noise_sd * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
      FOR d IN 1 .. rank LOOP
        x := x + p[d] * q[(lo - 1) * rank + d];
      END LOOP;
      user_id := u;
      item_id := lo;
      rating := least(greatest(round(x)::int, 1), 5);
      RETURN NEXT;
    END LOOP;
  END LOOP;
END
$$;
