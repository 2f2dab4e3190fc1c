// Package csv reads users from a csvde-style CSV export for sites that cannot reach the
// directory live: Microsoft's csvde, or any CSV whose first line names the attributes
// (an OpenLDAP export with entryUUID as text, for instance).
//
// Flow of a Read, always a full read ({Full: true, Complete: true}, no watermark):
//
//	open file → strip a UTF-8 BOM / decode UTF-16 (csvde -u)
//	  → encoding/csv, one row at a time (strict quotes, CRLF or LF)
//	  → header: attribute names, case-insensitive, options stripped; the DN column ("DN",
//	    else "distinguishedName"), the anchor and the userPrincipalName columns are required
//	  → each row: "" is no value; X'0a1b…' (csvde's binary form) is decoded; objectClass and
//	    the alternateEmails attribute are split on ';' (csvde joins multiple values so);
//	    every other field is one value
//	  → in scope (Options.ObjectClass; AD computer accounts never)
//	  → directory.Schema.Record → Handler.Upsert, or Handler.Reject with row and line
//
// A row with a different number of fields than the header, bad quoting, a row over 16 MiB
// or a file that does not end with a line break is ErrSyntax; a header without the needed
// columns is ErrColumns. Both come as a *RowError naming the row, and the caller discards the
// read. A missing optional column (mobile, say) is not an error: csvde only writes the
// columns some exported entry has. A file without rows is ErrEmpty.
package csv
