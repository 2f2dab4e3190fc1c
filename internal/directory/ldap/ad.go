package ldap

import (
	"errors"
	"strconv"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// Deltas on Active Directory and Samba AD without enumerating every user in scope:
//
//	changed  (&<filter><scope>(uSNChanged>=N+1)) under each base DN → Upsert (or Reject)
//	leavers  (&(uSNChanged>=N+1)(uSNChanged<=H)) in each naming context holding a base DN,
//	         with the show-deleted control, objectGUID only → gone unless upserted or
//	         rejected above: a tombstone (deleted), or an object that changed and is not in
//	         scope (moved out of the base DNs, no longer matching the filter).
//
// N is the watermark's USN; H the DC's highestCommittedUSN read before "changed": an object
// changed after H is outside the leavers window (the next delta reads it), so a user changed
// while this read runs is never taken for a leaver. A user who left the scope group did not
// change himself, but the group did: that is a full read already (needFull).
//
// Tombstones are only visible to an account that may list (LC) and read (RP) the Deleted
// Objects container; AD and Samba hide them from others without an error. So this path runs
// only when the DC offers the show-deleted control, the watermark is younger than the
// deleted-object lifetime less a day (older tombstones may have been purged), and the account
// may list the container: its DACL, when the account may read it (READ_CONTROL, SD flags
// control), grants LC and RP to the account's token (rootDSE tokenGroups, its objectSid,
// Everyone, Authenticated Users) and denies neither; when it may not (the default DACL gives
// READ_CONTROL to SYSTEM only), the token holds BUILTIN\Administrators, to which the default
// DACL grants LC and RP. Otherwise (a delegated account without READ_CONTROL there, say) the
// delta enumerates every user in scope, as before. DirSync (1.2.840.113556.1.4.841)
// would need the "Replicating Directory Changes" right, a cookie of its own that only a
// full pass of the naming context yields, and a second read of each changed user (it returns
// changed attributes only): not used.

const (
	attrObjectGUID        = "objectGUID"
	attrObjectSID         = "objectSid"
	attrTokenGroups       = "tokenGroups"
	attrSecurityDesc      = "nTSecurityDescriptor"
	attrTombstoneLifetime = "tombstoneLifetime"
	attrDeletedLifetime   = "msDS-deletedObjectLifetime"
	// wkDeletedObjects is the well-known GUID of a naming context's Deleted Objects container.
	wkDeletedObjects = "18e2ea80684f11d2b9aa00c04f79f805"
	// defaultLifetime applies when the forest sets no tombstone lifetime (AD's documented
	// default for forests created before Windows Server 2003 SP1).
	defaultLifetime = 60 * 24 * time.Hour
	lifetimeMargin  = 24 * time.Hour
	sdFlagsDACL     = 4
)

// criticalControl is a control without a value that the server must honour or refuse.
type criticalControl string

func (c criticalControl) GetControlType() string { return string(c) }
func (c criticalControl) String() string         { return string(c) }
func (c criticalControl) Encode() *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Control")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(c), "Control Type"))
	p.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, true, "Criticality"))
	return p
}

// builtinAdministrators is S-1-5-32-544: the default DACL of Deleted Objects lets only it and
// SYSTEM list and read; neither may read that DACL (no READ_CONTROL).
var builtinAdministrators = []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0}

var showDeleted goldap.Control = criticalControl(goldap.ControlTypeMicrosoftShowDeleted)

// adDelta upserts the users changed since wm, then reports the leavers (tombstones) when it
// may, else enumerates every user in scope. It returns whether the read is complete.
func (rd *read) adDelta(wm *watermark, ad adState) (complete bool, err error) {
	rd.reported = &anchorSet{}
	for _, b := range rd.r.bases {
		if err := rd.changed(b, wm); err != nil {
			return false, err
		}
	}
	ncs, ok, err := rd.tombstones(wm, ad)
	if err != nil {
		return false, err
	}
	if !ok {
		for _, b := range rd.r.bases {
			if err := rd.enumerate(b); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	f := "(&(" + attrUSNChanged + ">=" + strconv.FormatInt(wm.USN+1, 10) + ")(" + attrUSNChanged + "<=" + strconv.FormatInt(ad.usn, 10) + "))"
	for _, nc := range ncs {
		err := rd.c.each(rd.ctx, nc, f, []string{attrObjectGUID}, func(e *entry) error {
			rd.gone(e.first(attrObjectGUID))
			return nil
		}, showDeleted)
		if err != nil {
			return false, rd.c.wrap(err, "read the objects changed in %s", nc)
		}
	}
	return false, nil
}

// tombstones decides whether the leavers can be read from uSNChanged and tombstones (see
// above), and returns the naming contexts to search. A refusal by the DC means no.
func (rd *read) tombstones(wm *watermark, ad adState) (ncs []string, ok bool, err error) {
	if wm.At <= 0 || !hasValueFold(ad.controls, goldap.ControlTypeMicrosoftShowDeleted) {
		return nil, false, nil
	}
	for _, b := range rd.r.bases {
		nc := namingContextOf(b, ad.namingCtxs)
		if nc == "" {
			return nil, false, nil
		}
		if !hasValueFold(ncs, nc) {
			ncs = append(ncs, nc)
		}
	}
	refused := func(err error) (bool, error) {
		var ldapErr *goldap.Error
		if errors.As(err, &ldapErr) {
			return true, nil
		}
		return false, err
	}
	lifetime, err := rd.deletedLifetime(ad)
	if err != nil {
		r, err := refused(err)
		if r {
			return nil, false, nil
		}
		return nil, false, rd.c.wrap(err, "read the tombstone lifetime")
	}
	if time.Since(time.Unix(wm.At, 0)) > lifetime-lifetimeMargin {
		return nil, false, nil
	}
	token, err := rd.token()
	if err != nil {
		r, err := refused(err)
		if r {
			return nil, false, nil
		}
		return nil, false, rd.c.wrap(err, "read the account's groups")
	}
	for _, nc := range ncs {
		es, err := rd.c.searchOne("<WKGUID="+wkDeletedObjects+","+nc+">", goldap.ScopeBaseObject, "(objectClass=*)",
			[]string{attrSecurityDesc}, showDeleted, &goldap.ControlMicrosoftSDFlags{Criticality: true, ControlValue: sdFlagsDACL})
		if err != nil {
			r, err := refused(err)
			if r {
				return nil, false, nil
			}
			return nil, false, rd.c.wrap(err, "read the Deleted Objects container of %s", nc)
		}
		if len(es) != 1 {
			return nil, false, nil
		}
		sd := es[0].GetEqualFoldRawAttributeValue(attrSecurityDesc)
		switch {
		case len(sd) > 0:
			if !allows(sd, token, rightListChildren|rightReadProperty) {
				return nil, false, nil
			}
		case !holds(token, builtinAdministrators):
			return nil, false, nil
		}
	}
	return ncs, true, nil
}

// deletedLifetime is how long tombstones and deleted objects are kept: the smaller of
// tombstoneLifetime and msDS-deletedObjectLifetime (days), defaultLifetime when neither is set.
func (rd *read) deletedLifetime(ad adState) (time.Duration, error) {
	if ad.configNC == "" {
		return defaultLifetime, nil
	}
	es, err := rd.c.searchOne("CN=Directory Service,CN=Windows NT,CN=Services,"+ad.configNC, goldap.ScopeBaseObject,
		"(objectClass=*)", []string{attrTombstoneLifetime, attrDeletedLifetime})
	if err != nil || len(es) != 1 {
		return 0, err
	}
	life := time.Duration(0)
	for _, a := range []string{attrTombstoneLifetime, attrDeletedLifetime} {
		days, err := strconv.Atoi(es[0].GetEqualFoldAttributeValue(a))
		if err != nil || days <= 0 {
			continue
		}
		if d := time.Duration(days) * 24 * time.Hour; life == 0 || d < life {
			life = d
		}
	}
	if life == 0 {
		life = defaultLifetime
	}
	return life, nil
}

// token returns the SIDs the DC checks the account's access with: the rootDSE's tokenGroups,
// the account's objectSid, Everyone and Authenticated Users.
func (rd *read) token() ([][]byte, error) {
	everyone := []byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
	authenticated := []byte{1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}
	token := [][]byte{everyone, authenticated}
	es, err := rd.c.searchOne("", goldap.ScopeBaseObject, "(objectClass=*)", []string{attrTokenGroups})
	if err != nil {
		return nil, err
	}
	if len(es) == 1 {
		token = append(token, es[0].GetEqualFoldRawAttributeValues(attrTokenGroups)...)
	}
	if dn := rd.r.t.BindDN; dn != "" {
		es, err := rd.c.searchOne(dn, goldap.ScopeBaseObject, "(objectClass=*)", []string{attrObjectSID})
		if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
			return nil, err
		}
		if len(es) == 1 {
			token = append(token, es[0].GetEqualFoldRawAttributeValue(attrObjectSID))
		}
	}
	return token, nil
}

// namingContextOf returns the naming context that holds dn (the longest that does), or "".
func namingContextOf(dn string, ncs []string) string {
	target, err := goldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	best, bestLen := "", 0
	for _, nc := range ncs {
		p, err := goldap.ParseDN(nc)
		if err != nil || len(p.RDNs) == 0 || len(p.RDNs) <= bestLen {
			continue
		}
		if p.EqualFold(target) || p.AncestorOfFold(target) {
			best, bestLen = nc, len(p.RDNs)
		}
	}
	return strings.TrimSpace(best)
}
