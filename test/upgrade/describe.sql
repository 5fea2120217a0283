-- Every member object of pg_learn with what defines it, one sorted line each:
-- test/tap/upgrade.sh compares an updated installation with a fresh one.
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'pg_learn'),
members AS (
  SELECT d.classid, d.objid FROM pg_depend d, ext WHERE d.refobjid = ext.oid AND d.deptype = 'e'
),
lines AS (
  -- functions and aggregates: the full definition, comments and privileges
  SELECT 'function ' || p.oid::regprocedure::text || ' ' ||
         CASE WHEN p.prokind = 'a' THEN
              (SELECT format('agg(%s,%s,%s,%s,%s)', a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
                             format_type(a.aggtranstype, NULL), a.agginitval)
                 FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
              || ' ' || p.proparallel::text
              ELSE pg_get_functiondef(p.oid) END
         || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
         || ' acl=' || coalesce(p.proacl::text, '') AS line
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  UNION ALL
  -- relations: kind, options, RLS, privileges, comment
  SELECT format('relation %s kind=%s options=%s rls=%s acl=%s comment=%s', c.relname, c.relkind,
                c.reloptions, c.relrowsecurity, c.relacl, obj_description(c.oid, 'pg_class'))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind = 'v'
  UNION ALL
  SELECT format('column %s.%s %s notnull=%s default=%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind IN ('r', 'v')
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
  UNION ALL
  SELECT format('constraint %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_constraint k ON k.conrelid = c.oid
  UNION ALL
  SELECT format('index %s', pg_get_indexdef(i.indexrelid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_index i ON i.indrelid = c.oid
  UNION ALL
  SELECT format('policy %s.%s %s %s %s', c.relname, pol.polname, pol.polcmd,
                pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_policy pol ON pol.polrelid = c.oid
  UNION ALL
  SELECT format('trigger %s', pg_get_triggerdef(t.oid))
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
  UNION ALL
  SELECT format('config %s %s', c.relname, cfg.cond)
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS cfg(oid, cond) JOIN pg_class c ON c.oid = cfg.oid
   WHERE e.extname = 'pg_learn'
  UNION ALL
  SELECT 'other ' || pg_describe_object(m.classid, m.objid, 0)
    FROM members m WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass)
)
SELECT line FROM lines ORDER BY line;
