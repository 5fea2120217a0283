/*-------------------------------------------------------------------------
 *
 * distribute.h
 *	  Models on every node of a Citus cluster (distribute.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_DISTRIBUTE_H
#define PGL_DISTRIBUTE_H

#include "glue.h"

/*
 * The catalog rows of model "name" changed in this transaction (a new
 * version, a deploy, a drop, a grant); new_version > 0: that version (and
 * its blob) is new.  Without the citus extension in the database it does
 * nothing.  With it, the coordinator sends the model's state to every
 * worker when the transaction commits (docs/scale-out.md).
 */
extern void pgl_distribute_changed(const char *name, int32 new_version);

#endif /* PGL_DISTRIBUTE_H */
