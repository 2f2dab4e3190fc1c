// Package ldif reads users from an LDIF export (RFC 2849) for sites that cannot reach the
// directory live: Microsoft's ldifde, OpenLDAP's slapcat and ldapsearch -LLL.
//
// Flow of a Read, always a full read ({Full: true, Complete: true}, no watermark):
//
//	open file → strip a UTF-8 BOM / decode UTF-16 (ldifde -u)
//	  → physical lines (LF or CRLF, at most 1 MiB each)
//	  → logical lines (a line starting with one space continues the previous; # comments dropped)
//	  → one entry at a time: "dn:" then "attr: value" / "attr:: base64"; options (";binary")
//	    are stripped and names compared case-insensitively; only the attributes the Schema
//	    needs are kept, the others are checked and dropped
//	  → in scope (Options.ObjectClass; AD computer accounts never)
//	  → directory.Schema.Record → Handler.Upsert, or Handler.Reject with the line number
//
// "version: 1" and "changetype: add" (ldifde writes it on every entry) are accepted. Change
// records (modify, delete, modrdn), controls and ":<" URL values are ErrUnsupported; broken
// syntax is ErrSyntax. Both come as a *LineError naming the line, and the caller discards
// the read. A file that does not end with a line break, or whose last entry has a dn and no
// attribute, is taken as cut short; a cut that falls exactly on a line boundary inside the
// last entry cannot be told from a complete file (the sync engine's deletion guard is the
// backstop). A file without any entry is ErrEmpty; entries in scope of which none has the anchor
// attribute are ErrNoAnchor.
//
// Memory stays bounded by the largest entry, whatever the number of entries.
package ldif
