// Package directory defines what sspr needs from a user directory: a Reader that streams users
// in scope as Records, already mapped to the product's field names. Implementations:
// directory/ldap (Active Directory, Samba AD, OpenLDAP; paged, streaming, full and delta),
// directory/ldif and directory/csv (ldifde- and csvde-style exports, for sites that cannot reach
// the directory live). The attribute Mapping is shared by all of them.
package directory
