/* pg_learn--0.2.0--0.3.0.sql: upgrade from 0.2.0 to 0.3.0 (written by hand)
 *
 * 0.3.0 changes existing objects (renamed parameters and output columns,
 * new optional parameters), so this script is not a tail of the install
 * script: each change of pg_learn--0.3.0.sql is repeated here, in the
 * section of its feature.  test/tap/upgrade.sh checks that a 0.2.0
 * installation updated with it has exactly the objects of a fresh 0.3.0
 * one.  The rules at the top of pg_learn--0.3.0.sql apply here too.
 */

\echo Use "ALTER EXTENSION pg_learn UPDATE" to load this file. \quit

/* ------------------------------------------------------------------------
 * Training options: one schema per algorithm, deploy "if_better"
 * ------------------------------------------------------------------------ */

/* ai_train returns whether the new version was deployed ("deploy": "if_better") */
DROP FUNCTION @extschema@.ai_train(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb);
CREATE FUNCTION @extschema@.ai_train(
	name pg_catalog.text,
	algorithm pg_catalog.text,
	data pg_catalog.text,
	target pg_catalog.text DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT '{}',
	OUT name pg_catalog.text,
	OUT version integer,
	OUT algorithm pg_catalog.text,
	OUT rows_used bigint,
	OUT metrics pg_catalog.jsonb,
	OUT seconds double precision,
	OUT deployed boolean)
RETURNS pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_train'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_train(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) IS
	'Train a model on a table, view or SELECT and store it as a new version (deployed says whether it went live)';

CREATE FUNCTION @extschema@.ai_algorithm_options(
	algorithm pg_catalog.text DEFAULT NULL,
	OUT algorithm pg_catalog.text,
	OUT option pg_catalog.text,
	OUT type pg_catalog.text,
	OUT default_value pg_catalog.text,
	OUT description pg_catalog.text,
	OUT example pg_catalog.jsonb)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_algorithm_options'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_algorithm_options(pg_catalog.text) IS
	'The options ai_train accepts for each algorithm (or one): type, default, description and a valid example';


/* ------------------------------------------------------------------------
 * Schedules: pause after repeated failures, resume
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Versions: pinning (version => N), ai_drop_version, ai_deploy's result
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Classifiers: positive class, threshold, class weights, label with probability
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Names: user_id / item_id, one name for a model and for a duration
 * ------------------------------------------------------------------------ */
