// Package ldap reads users from Active Directory, Samba AD and OpenLDAP: the
// directory.Reader of the sync.
//
// New validates the Config (TLS required unless AllowInsecure; filter compiled; base DNs
// under another one dropped, so no entry is read twice). Each Read then:
//
//  1. connects (TCP, then TLS for ldaps:// or StartTLS, both verified against CAFile with the
//     URL's host name, TLS 1.2+) and binds; certificate, bind and reachability problems come
//     back as errors saying what to fix (ErrTLS, ErrBind, ErrUnreachable), never the password;
//  2. reads the rootDSE: AD, highestCommittedUSN, the DC's invocationId (→ dsServiceName),
//     naming contexts and controls; OpenLDAP, whether syncprov offers content
//     synchronization (supportedControl 1.3.6.1.4.1.4203.1.9.1.1);
//  3. resolves the scope group, if any: AD filters with memberOf and the in-chain matching rule
//     (1.2.840.113556.1.4.1941, nested groups, supported by Samba); OpenLDAP has neither, so
//     the group's member/uniqueMember values are followed through nested groups into a set of
//     member DNs, and entries are kept when their DN is in it. A group that does not exist is
//     an error (ErrNotFound), never "no users";
//  4. reads by one of the paths below, handing each entry to the Handler as it is decoded,
//     converted by directory.Schema (Upsert or Reject). Nothing is collected but anchors.
//     A missing base DN (noSuchObject), any search error, a lost connection or a page that
//     ends without its paging control fails the Read: a cut-off answer never looks Complete.
//
// Read paths (Result.Complete: every user in scope was named, through Upsert, Present or
// Reject, so the engine deletes the stored users not named; otherwise only Delete deletes):
//
//	full read (since == "", or a delta that needs one)
//	  every base DN, paged subtree search (&<filter><scope>) → Upsert.
//	  OpenLDAP with syncprov: first the base DN's sync cookie (sync.go, probe), so the next
//	  delta starts from here.                                       Full, Complete
//	OpenLDAP delta, syncprov and a cookie for the base DN (sync.go)
//	  refreshOnly content synchronization from the cookie: changed entries → Upsert; deleted,
//	  moved out of the base DN, no longer matching the filter, changed out of the group
//	  → Delete (after every Upsert, and never for a user upserted in this read).
//	  From the session log: not Complete, and costs what changed (some 10 ms for 100
//	  changes among 100,000 users, against 0.5 s for the enumeration). A present phase
//	  (the log does not reach back to the cookie, as after a restart of slapd):
//	  the unchanged users → Present, Complete. A cookie refused (e-syncRefreshRequired, a
//	  restored server) → a full read of that base DN.
//	OpenLDAP delta without syncprov or cookie (an older watermark)
//	  (&<filter>(modifyTimestamp>=T)) → Upsert, then every anchor (entryUUID) → Present
//	  unless just upserted or rejected. T is the highest modifyTimestamp seen minus the
//	  read's duration and a minute, so entries changed during a read are read again (and
//	  the users changed last are upserted again by the next delta); when that newest change
//	  is over 10 minutes older than the read (by our clock), T is it plus a second. Complete.
//	  A base DN read this way (or by a present phase) makes the whole read Complete: then the
//	  base DNs synchronized from the session log are enumerated too.
//	AD / Samba delta (ad.go)
//	  (&<filter><scope>(uSNChanged>=USN+1)) → Upsert; then, when the account may see
//	  tombstones, every object of the naming context changed between the watermark and the
//	  USN read at the start, tombstones included (show-deleted), objectGUID only → Delete
//	  unless just upserted or rejected: not Complete. Otherwise every anchor in scope
//	  (objectGUID, paged) → Present unless just upserted or rejected: Complete.
//	  Another DC or a restored one (invocationId differs, USN went back), or a change to the
//	  scope group or a group nested in it (uSNChanged): a full read instead (Result.Full).
//	OpenLDAP delta with a changed member set of the scope group: a full read.
//
// The watermark (watermark.go) is JSON with a version; one of another format, version or
// kind, or with a cookie that is not one, is an error wrapping directory.ErrWatermark.
// Renames and moves keep the anchor, so they are updates.
//
// The connection is driven here, not by go-ldap's Conn (wire.go): requests are encoded with
// asn1-ber and go-ldap's filter compiler and controls, and responses decoded in place into
// reused buffers. go-ldap's decoder allocated some 340 times per entry and made a
// 100,000-user read 3x slower than ldapsearch; its request timeout also drops, silently,
// responses that a slow consumer did not take in time. Searches that return many entries
// are streamed (stream.go): a goroutine reads and decodes messages into a bounded set of
// batches (about two pages ahead) and sends each page's request as soon as the previous
// page's cookie arrives, while the Handler runs on the caller's goroutine, in order; so the
// server and the consumer no longer wait for each other (a full read of 100,000 users now
// takes about what ldapsearch takes). While a paged search streams, the socket's SO_RCVLOWAT
// (Linux) makes a read that finds nothing wait until 32 KiB have arrived, or what is left of
// the page when less (the entries still expected times the smallest seen, less what was read
// but not parsed yet), 2 ms at most, then
// take what there is: the reader wakes once per hundred-odd entries instead of once per write
// of the server (a context switch each, on both sides), and a page's end is read as soon as it
// comes (the server waits for the next page's request). go-ldap still provides filters, DNs, escaping,
// request controls and result codes (goldap.Error). Every read from and write to the socket
// is bounded by the endpoint's OperationTimeout (internal/ldapconn); cancelling ctx closes
// the connection at once, and so does a Handler error in a streamed search (the goroutine
// ends before Read returns). Probe (sspr config validate --connect) binds and reads one entry
// within the endpoint's CallTimeout.
package ldap
