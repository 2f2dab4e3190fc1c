// Package directory defines what sspr needs from a user directory: a Reader that streams users
// in scope as Records, already mapped to the product's field names. Implementations:
// directory/ldap (Active Directory, Samba AD, OpenLDAP; paged, streaming, full and delta),
// directory/ldif and directory/csv (ldifde- and csvde-style exports, for sites that cannot reach
// the directory live). The attribute Mapping is shared by all of them; directory/export holds
// what the two export readers share (text decoding, user selection, identity). How to reach
// an LDAP directory (URL, TLS, service account, timeouts) is internal/ldapconn's Endpoint.
package directory
