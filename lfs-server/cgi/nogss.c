/* nogss: failing stand-ins for the GSSAPI functions that Debian's static
 * libgit2 references for HTTP "Negotiate" authentication.  lfs-cgi uses
 * libgit2 only to read its config file and never reaches that code, and
 * Debian ships no static GSSAPI (Kerberos) library; with these the
 * binary needs no libgssapi_krb5 at run time.  Each answers
 * GSS_S_UNAVAILABLE (RFC 2744), so if a future libgit2 path did call
 * one, Negotiate would be reported unavailable, not misbehave.
 * Signatures follow RFC 2744 with the opaque handles as pointers. */
#include <stddef.h>
#include <stdint.h>

typedef uint32_t OM_uint32;
#define GSS_S_UNAVAILABLE (16u << 16)

/* The name-type OID libgit2 reads; no mechanism exists to use it. */
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech,
			     OM_uint32 *ctx, void *out);
OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buf);
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, void *out);
OM_uint32 gss_import_name(OM_uint32 *minor, void *in, void *type, void **out);
OM_uint32 gss_release_name(OM_uint32 *minor, void **name);
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, void *mech,
			       OM_uint32 flags, OM_uint32 time, void *chan, void *in, void **mech_out,
			       void *out, OM_uint32 *ret_flags, OM_uint32 *time_rec);
OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **set);
OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set);

static OM_uint32 unavailable(OM_uint32 *minor)
{
	if (minor)
		*minor = 0;
	return GSS_S_UNAVAILABLE;
}

OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech,
			     OM_uint32 *ctx, void *out)
{
	(void)status, (void)type, (void)mech, (void)ctx, (void)out;
	return unavailable(minor);
}

OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buf)
{
	(void)buf;
	return unavailable(minor);
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, void *out)
{
	(void)ctx, (void)out;
	return unavailable(minor);
}

OM_uint32 gss_import_name(OM_uint32 *minor, void *in, void *type, void **out)
{
	(void)in, (void)type, (void)out;
	return unavailable(minor);
}

OM_uint32 gss_release_name(OM_uint32 *minor, void **name)
{
	(void)name;
	return unavailable(minor);
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, void *mech,
			       OM_uint32 flags, OM_uint32 time, void *chan, void *in, void **mech_out,
			       void *out, OM_uint32 *ret_flags, OM_uint32 *time_rec)
{
	(void)cred, (void)ctx, (void)target, (void)mech, (void)flags, (void)time, (void)chan;
	(void)in, (void)mech_out, (void)out, (void)ret_flags, (void)time_rec;
	return unavailable(minor);
}

OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **set)
{
	if (set)
		*set = NULL;
	return unavailable(minor);
}

OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set)
{
	(void)set;
	return unavailable(minor);
}
