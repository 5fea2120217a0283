-- bench/trees_mnist.sql: Fashion-MNIST as the tree benchmark reads it (run
-- by bench/run_trees after bench/fashion_mnist/load.py has made fashion_train
-- and fashion_test, one bytea of 784 pixels per image).
--
-- fm_train (60,000 rows) and fm_test (10,000 rows): label integer (0..9),
-- then p1 .. p784 float4, the pixels 0..255 row by row, one column each.

SET client_min_messages = warning;

DO $$
DECLARE
	cols text;
	src text;
BEGIN
	SELECT string_agg(format('get_byte(img, %s)::float4 AS p%s', j - 1, j), ', ' ORDER BY j)
	  INTO cols FROM generate_series(1, 784) j;
	FOREACH src IN ARRAY ARRAY['train', 'test'] LOOP
		EXECUTE format('DROP TABLE IF EXISTS fm_%s', src);
		EXECUTE format('CREATE TABLE fm_%s AS SELECT label, %s FROM fashion_%s ORDER BY id',
					   src, cols, src);
	END LOOP;
END $$;

VACUUM ANALYZE fm_train;
VACUUM ANALYZE fm_test;
