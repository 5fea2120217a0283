/*-------------------------------------------------------------------------
 *
 * privileges.h
 *	  Who may use a model (privileges.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_PRIVILEGES_H
#define PGL_PRIVILEGES_H

#include "glue.h"

typedef enum PglPrivilege
{
	PGL_PRIV_PREDICT, /* every use: predict, explain, evaluate, recommend... */
	PGL_PRIV_TRAIN	  /* add versions (retrain, import); implies predict */
} PglPrivilege;

/*
 * May caller use the model with this privilege?  The owner, a role with the
 * owner's privileges (member, superuser) always; others by a grant to them,
 * to a role whose privileges they have, or to PUBLIC.  Inside SPI, as the
 * extension owner.
 */
extern bool pgl_priv_check(const char *schema, const char *name, Oid caller, Oid owner,
						   PglPrivilege priv);

/* the permission ERROR for a denied use */
extern void pgl_priv_denied(const char *name, Oid caller, Oid owner, PglPrivilege priv)
	pg_attribute_noreturn();

#endif /* PGL_PRIVILEGES_H */
