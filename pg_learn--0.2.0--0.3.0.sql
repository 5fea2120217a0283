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
