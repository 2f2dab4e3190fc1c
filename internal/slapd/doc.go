// Package slapd starts a throwaway OpenLDAP server for tests, the demo and benchmarks.
//
// Start writes everything into Options.Dir:
//
//	slapd.conf        generated (back-mdb, schemas core/cosine/inetorgperson/nis, optional
//	                  ppolicy, optional syncprov with a checkpoint, a session log and an
//	                  entryCSN index: RFC 4533 content synchronization for delta reads)
//	base.ldif         the suffix entry (and the default password policy with PPolicy)
//	data/             the mdb database, bulk-loaded with `slapadd -q` before the server starts
//	ca.pem, server.*  a CA and a certificate for 127.0.0.1/localhost (TLS only)
//	slapd.log         slapd's stderr; its tail is part of every start error
//
// then runs slapd in the foreground (`-d 0`, so the PID held is slapd's own) on
// ldap://127.0.0.1:PORT/ (StartTLS-capable with TLS) and ldaps://127.0.0.1:PORT2/, both on free
// ports, and waits until an anonymous rootDSE search answers. Stop sends SIGTERM then SIGKILL
// by PID; Kill sends SIGKILL at once (fault tests).
package slapd
