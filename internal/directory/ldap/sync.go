package ldap

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// RFC 4533 content synchronization (OpenLDAP's syncprov overlay), refreshOnly: a delta that
// costs what changed, not what exists.
//
//	probe    before a base DN is read in full (or by enumeration), a refresh without cookie
//	         of the base entry alone returns the server's current cookie: the next delta
//	         starts there (entries changed during the read are read again then).
//	refresh  a refresh from the base DN's cookie, subtree, with the read's filter:
//	           add/modify entries            → Upsert (or Reject); out of the group scope → gone
//	           syncIdSet, refreshDeletes     → gone: deleted, moved out of the base DN, no
//	                                           longer matching the filter (session log)
//	           syncIdSet / present entries   → present phase (the session log does not reach
//	                                           back to the cookie): collected, then Present
//	                                           unless upserted in this refresh; the base is
//	                                           then complete (what was not named is gone)
//	           SyncDone                      → the next cookie; refreshDeletes=FALSE: the
//	                                           refresh ended with a present phase
//	         A refusal before any entry (e-syncRefreshRequired 4096, "consumer state is newer
//	         than provider" of a restored server, a cookie it cannot use) → a full read of
//	         that base DN, with a fresh cookie.
//
// Requests are encoded with go-ldap's ControlSyncRequest; the responses' controls and
// intermediate messages are decoded in place here, like the rest of wire.go.

const (
	syncStatePresent = 0
	syncStateAdd     = 1
	syncStateModify  = 2
	syncStateDelete  = 3

	syncInfoNewCookie      = 0x80 // [0] syncCookie
	syncInfoRefreshDelete  = 0xa1 // [1] SEQUENCE
	syncInfoRefreshPresent = 0xa2 // [2] SEQUENCE
	syncInfoIDSet          = 0xa3 // [3] SEQUENCE

	uuidLen = 16
)

func syncRequest(cookie string) goldap.Control {
	var c []byte
	if cookie != "" {
		c = []byte(cookie)
	}
	return goldap.NewControlSyncRequest(goldap.SyncRequestModeRefreshOnly, c, false)
}

// syncState is the Sync State control of an entry.
type syncState struct {
	state  int64
	uuid   []byte
	cookie []byte // nil when absent
}

func parseSyncState(controls []byte) (st syncState, found bool, err error) {
	val, found, err := findControl(controls, goldap.ControlTypeSyncState)
	if err != nil || !found {
		return st, found, err
	}
	seq, _, err := expect(val, tagSequence)
	if err != nil {
		return st, false, err
	}
	v, rest, err := expect(seq, tagEnumerated)
	if err != nil {
		return st, false, err
	}
	if st.state, err = berInt(v); err != nil {
		return st, false, err
	}
	if st.uuid, rest, err = expect(rest, tagOctetString); err != nil {
		return st, false, err
	}
	if len(st.uuid) != uuidLen {
		return st, false, fmt.Errorf("%w: sync state entryUUID of %d bytes", errMalformed, len(st.uuid))
	}
	if len(rest) > 0 {
		if st.cookie, _, err = expect(rest, tagOctetString); err != nil {
			return st, false, err
		}
	}
	return st, true, nil
}

// syncDone is the Sync Done control of a refresh's SearchResultDone.
type syncDone struct {
	cookie         []byte
	refreshDeletes bool
}

func parseSyncDone(controls []byte) (d syncDone, found bool, err error) {
	val, found, err := findControl(controls, goldap.ControlTypeSyncDone)
	if err != nil || !found {
		return d, found, err
	}
	seq, _, err := expect(val, tagSequence)
	if err != nil {
		return d, false, err
	}
	d.cookie, d.refreshDeletes, _, err = cookieAndFlag(seq, false)
	return d, true, err
}

// syncInfo is a Sync Info intermediate message.
type syncInfo struct {
	kind   byte   // syncInfoNewCookie, ...
	cookie []byte // nil when absent
	// flag: refreshDone of refreshDelete/refreshPresent (default TRUE), refreshDeletes of
	// syncIdSet (default FALSE).
	flag  bool
	uuids []byte // syncIdSet: the SET OF syncUUID's value
}

// parseIntermediate splits an IntermediateResponse into its name and value.
func parseIntermediate(body []byte) (name, value []byte, err error) {
	for len(body) > 0 {
		var tag byte
		var v []byte
		if tag, v, body, err = tlv(body); err != nil {
			return nil, nil, err
		}
		switch tag {
		case 0x80:
			name = v
		case 0x81:
			value = v
		}
	}
	return name, value, nil
}

func parseSyncInfo(value []byte) (syncInfo, error) {
	var info syncInfo
	tag, val, _, err := tlv(value)
	if err != nil {
		return info, err
	}
	info.kind = tag
	switch tag {
	case syncInfoNewCookie:
		info.cookie = val
	case syncInfoRefreshDelete, syncInfoRefreshPresent:
		info.cookie, info.flag, _, err = cookieAndFlag(val, true)
	case syncInfoIDSet:
		var rest []byte
		info.cookie, info.flag, rest, err = cookieAndFlag(val, false)
		if err == nil {
			info.uuids, _, err = expect(rest, tagSet)
		}
	default:
		err = fmt.Errorf("%w: sync info choice 0x%02x", errMalformed, tag)
	}
	return info, err
}

// cookieAndFlag reads the optional cookie and the optional BOOLEAN (def when absent) that
// begin the sync sequences, and returns what follows.
func cookieAndFlag(seq []byte, def bool) (cookie []byte, flag bool, rest []byte, err error) {
	flag = def
	if len(seq) > 0 && seq[0] == tagOctetString {
		if cookie, seq, err = expect(seq, tagOctetString); err != nil {
			return nil, false, nil, err
		}
	}
	if len(seq) > 0 && seq[0] == tagBoolean {
		var v []byte
		if v, seq, err = expect(seq, tagBoolean); err != nil {
			return nil, false, nil, err
		}
		if len(v) != 1 {
			return nil, false, nil, fmt.Errorf("%w: boolean of %d bytes", errMalformed, len(v))
		}
		flag = v[0] != 0
	}
	return cookie, flag, seq, nil
}

// eachUUID calls fn for each syncUUID of a syncIdSet.
func eachUUID(set []byte, fn func([]byte)) error {
	for len(set) > 0 {
		var u []byte
		var err error
		if u, set, err = expect(set, tagOctetString); err != nil {
			return err
		}
		if len(u) != uuidLen {
			return fmt.Errorf("%w: syncUUID of %d bytes", errMalformed, len(u))
		}
		fn(u)
	}
	return nil
}

// csnPattern is a change sequence number: time, count, server ID, modification number.
var csnPattern = regexp.MustCompile(`^[0-9]{14}(\.[0-9]{6})?Z#[0-9a-fA-F]{6}#[0-9a-fA-F]{3}#[0-9a-fA-F]{6}$`)

// checkCookie accepts the cookies OpenLDAP writes (rid=000,sid=001,csn=CSN;CSN...): a cookie
// without a usable CSN would make syncprov send the whole content as changes, and deletions
// would then go unnoticed.
func checkCookie(c string) error {
	csns := 0
	for _, field := range strings.Split(c, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return fmt.Errorf("cookie %q: field %q is not key=value", c, field)
		}
		switch k {
		case "csn", "delcsn":
			for _, csn := range strings.Split(v, ";") {
				if !csnPattern.MatchString(csn) {
					return fmt.Errorf("cookie %q: %q is not a CSN", c, csn)
				}
			}
			if k == "csn" {
				csns++
			}
		}
	}
	if csns != 1 {
		return fmt.Errorf("cookie %q has no CSN", c)
	}
	return nil
}

// syncOutcome is what a refresh of one base DN reported.
type syncOutcome int

const (
	syncIncremental syncOutcome = iota + 1 // changes and deletions only
	syncComplete                           // a present phase: every entry in scope was named
	syncRefused                            // the server cannot refresh from the cookie
	syncEnumerate                          // no cookie: changes by modifyTimestamp, then an enumeration
)

// probe returns the server's current cookie for base, or "" when the server does not
// synchronize that base (syncprov on another database, no access to the control).
func (rd *read) probe(base string) (string, error) {
	var cookie []byte
	s, err := rd.c.stream(base, goldap.ScopeBaseObject, "(objectClass=*)", []string{"1.1"}, once{syncRequest("")})
	if err != nil {
		return "", err
	}
	err = s.run(rd.ctx, func(it *item) error {
		if it.op == opSearchDone {
			d, _, err := parseSyncDone(it.controls)
			cookie = d.cookie
			return err
		}
		return nil
	})
	var ldapErr *goldap.Error
	switch {
	case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject):
		return "", newError(ErrNotFound, err, "base DN %s does not exist", base)
	case errors.As(err, &ldapErr):
		return "", nil
	case err != nil:
		return "", rd.c.wrap(err, "read the synchronization cookie of %s", base)
	}
	if checkCookie(string(cookie)) != nil {
		return "", nil
	}
	return string(cookie), nil
}

// refresh synchronizes base from cookie (see above) and returns the next cookie.
func (rd *read) refresh(base, cookie string) (syncOutcome, string, error) {
	var (
		presents []byte // the present phase's UUIDs, 16 bytes each
		present  bool
		handled  int
		next     = cookie
	)
	keep := func(c []byte) {
		if checkCookie(string(c)) == nil {
			next = string(c)
		}
	}
	collect := func(u []byte) {
		present = true
		presents = append(presents, u...)
	}
	s, err := rd.c.stream(base, goldap.ScopeWholeSubtree, rd.filter(""), rd.r.attrs, once{syncRequest(cookie)})
	if err != nil {
		return 0, "", err
	}
	err = s.run(rd.ctx, func(it *item) error {
		handled++
		switch it.op {
		case opSearchEntry:
			st, found, err := parseSyncState(it.controls)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("%w: entry %s of a refresh without the sync state control", errMalformed, it.ent.dn)
			}
			if st.cookie != nil {
				keep(st.cookie)
			}
			switch st.state {
			case syncStatePresent:
				collect(st.uuid)
			case syncStateAdd, syncStateModify:
				if !rd.sc.in(string(it.ent.dn)) {
					rd.gone(st.uuid) // changed, and not (or no longer) in the group
					return nil
				}
				// In scope: whatever another base DN's refresh says of it, it stays (even
				// when the entry is rejected below).
				rd.mark(st.uuid)
				return rd.upsert(it.ent)
			case syncStateDelete:
				rd.gone(st.uuid)
			}
		case opIntermediate:
			name, value, err := parseIntermediate(it.body)
			if err != nil || string(name) != goldap.ControlTypeSyncInfo {
				return err
			}
			info, err := parseSyncInfo(value)
			if err != nil {
				return err
			}
			if info.cookie != nil {
				keep(info.cookie)
			}
			switch info.kind {
			case syncInfoRefreshPresent:
				present = true
			case syncInfoIDSet:
				if info.flag {
					return eachUUID(info.uuids, rd.gone)
				}
				present = true
				return eachUUID(info.uuids, collect)
			}
		case opSearchDone:
			d, found, err := parseSyncDone(it.controls)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("refresh of %s ended without the sync done control", base)
			}
			if d.cookie != nil {
				keep(d.cookie)
			}
			if !d.refreshDeletes {
				present = true
			}
		}
		return nil
	})
	var ldapErr *goldap.Error
	switch {
	case err == nil:
	case errors.Is(err, errStop), goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject):
		return 0, "", err
	case errors.As(err, &ldapErr) && handled == 0:
		// e-syncRefreshRequired, a restored server ("consumer state is newer than provider"),
		// a cookie it cannot use: before anything was reported, a full read is the answer.
		return syncRefused, "", nil
	default:
		return 0, "", err
	}
	if !present {
		return syncIncremental, next, nil
	}
	for i := 0; i+uuidLen <= len(presents); i += uuidLen {
		a := presents[i : i+uuidLen : i+uuidLen]
		if rd.reported.has([uuidLen]byte(a)) {
			continue
		}
		if err := rd.handled(rd.h.Present(rd.ctx, a)); err != nil {
			return 0, "", err
		}
	}
	return syncComplete, next, nil
}
