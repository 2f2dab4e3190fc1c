package ldap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

const (
	attrModifyTimestamp     = "modifyTimestamp"
	attrUSNChanged          = "uSNChanged"
	attrHighestCommittedUSN = "highestCommittedUSN"
	attrDSServiceName       = "dsServiceName"
	attrInvocationID        = "invocationId"
	attrDefaultNC           = "defaultNamingContext"
	attrNamingContexts      = "namingContexts"
	attrConfigNC            = "configurationNamingContext"
	attrSupportedControl    = "supportedControl"
	attrMember              = "member"
	attrUniqueMember        = "uniqueMember"
	attrObjectClass         = "objectClass"
	// LDAP_MATCHING_RULE_IN_CHAIN: AD (and Samba) evaluate memberOf through nested groups.
	ruleInChain = "1.2.840.113556.1.4.1941"
	// deltaMargin is added to the read's duration when an OpenLDAP watermark is computed.
	deltaMargin = time.Minute
	// quietPeriod: an OpenLDAP directory whose newest change is older than this when a read
	// starts had no change during the read.
	quietPeriod = 10 * time.Minute
)

// read is the state of one Read.
type read struct {
	r   *Reader
	c   *conn
	h   directory.Handler
	ctx context.Context
	sc  *scope

	// herr is the handler's error that stopped the read: returned as is.
	herr error
	// reported holds the anchors upserted or rejected by a delta, so that the enumeration
	// that follows does not report them Present again. Nil on a full read.
	reported *anchorSet
	// leavers are the anchors of users deleted or out of scope, reported at the end.
	leavers [][16]byte
	// syncprov: the OpenLDAP server offers RFC 4533 content synchronization.
	syncprov bool
	// cookies are the next watermark's synchronization cookies, by normalized base DN.
	cookies map[string]string
	// maxModified is the highest modifyTimestamp seen (OpenLDAP).
	maxModified maxTime
	cur         *entry
	values      directory.Values
	// policies are the OpenLDAP password policies, by normalized DN (loadPolicies).
	policies map[string]policy
}

// adState is what a read learns from the DC's rootDSE before it starts.
type adState struct {
	usn          int64
	invocationID string
	defaultNC    string
	configNC     string
	namingCtxs   []string
	controls     []string // supportedControl
}

// scope narrows the base DNs' subtrees to a group's members.
type scope struct {
	// clause is ANDed to the filter (AD: the in-chain memberOf clause); "" for none.
	clause string
	// members are the normalized DNs of an OpenLDAP group's (nested) members; nil: no group.
	members map[string]struct{}
}

// membersHash fingerprints an OpenLDAP group's member set: when it differs from the one in
// the watermark, users may have joined the scope without changing themselves.
func (s *scope) membersHash() string {
	if s.members == nil {
		return ""
	}
	keys := make([]string, 0, len(s.members))
	for k := range s.members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (s *scope) in(dn string) bool {
	if s.members == nil {
		return true
	}
	_, ok := s.members[normDN(dn)]
	return ok
}

var errStop = errors.New("handler stopped the read")

// Attributes returns the attributes every user search requests (full records), in the order
// sent: what a baseline such as ldapsearch must request to be compared fairly.
func (r *Reader) Attributes() []string { return slices.Clone(r.attrs) }

// Read reads every user in scope (since == "") or what changed since the watermark; see
// the package documentation for the read paths.
func (r *Reader) Read(ctx context.Context, since string, h directory.Handler) (directory.Result, error) {
	var wm *watermark
	if since != "" {
		var err error
		if wm, err = r.parseWatermark(since); err != nil {
			return directory.Result{}, err
		}
	}
	started := time.Now()
	c, err := r.connect(ctx)
	if err != nil {
		return directory.Result{}, err
	}
	defer c.close()
	rd := &read{r: r, c: c, h: h, ctx: ctx}
	rd.values = func(a string) [][]byte { return rd.cur.values(a) }

	var ad adState
	if r.cfg.Kind == directory.ActiveDirectory {
		if ad, err = rd.adState(); err != nil {
			return directory.Result{}, err
		}
	} else {
		if rd.syncprov, err = rd.offersSync(); err != nil {
			return directory.Result{}, err
		}
		if err = rd.loadPolicies(); err != nil {
			return directory.Result{}, err
		}
	}
	if rd.sc, err = rd.scope(); err != nil {
		return directory.Result{}, err
	}
	full := wm == nil
	if !full {
		if full, err = rd.needFull(wm, ad); err != nil {
			return directory.Result{}, err
		}
	}
	res := directory.Result{Full: full, Complete: true}
	switch {
	case full:
		err = rd.full()
	case r.cfg.Kind == directory.ActiveDirectory:
		res.Complete, err = rd.adDelta(wm, ad)
	default:
		res.Full, res.Complete, err = rd.openLDAPDelta(wm)
	}
	if err == nil {
		err = rd.reportGone()
	}
	if rd.herr != nil {
		return directory.Result{}, rd.herr
	}
	if err != nil {
		return directory.Result{}, err
	}

	next := watermark{V: watermarkVersion, Kind: r.cfg.Kind}
	if r.cfg.Kind == directory.ActiveDirectory {
		next.USN, next.InvocationID, next.At = ad.usn, ad.invocationID, started.Unix()
	} else {
		var from time.Time // full read of nothing: the next delta reads everything
		if !full {
			from, _ = parseGeneralizedTime([]byte(wm.ModifyTimestamp))
		}
		if m := rd.maxModified.t; !m.IsZero() {
			// Entries changed while this read ran may carry a time below m: start from m
			// minus the read's duration and a minute...
			t := m.Add(-time.Since(started) - deltaMargin)
			if m.Add(quietPeriod).Before(started) {
				// ...unless the newest change is long older than the read: then none
				// happened during the read (short of a server clock more than quietPeriod
				// behind ours), and m+1s spares the next delta the last batch of changes.
				t = m.Add(time.Second)
			}
			if t.After(from) {
				from = t
			}
		}
		if from.IsZero() {
			from = time.Unix(0, 0)
		}
		next.ModifyTimestamp = formatGeneralizedTime(from)
		next.Members = rd.sc.membersHash()
		if len(rd.cookies) > 0 {
			next.Cookies = rd.cookies
		}
	}
	res.Watermark = next.String()
	return res, nil
}

func (rd *read) filter(extra string) string {
	return "(&" + rd.r.cfg.Filter + rd.sc.clause + extra + ")"
}

// full upserts every user in scope.
func (rd *read) full() error {
	for _, b := range rd.r.bases {
		if err := rd.fullBase(b); err != nil {
			return err
		}
	}
	return nil
}

// fullBase upserts every user under base, after taking its synchronization cookie.
func (rd *read) fullBase(base string) error {
	if err := rd.takeCookie(base); err != nil {
		return err
	}
	if err := rd.c.each(rd.ctx, base, rd.filter(""), rd.r.attrs, rd.upsert); err != nil {
		return rd.searchError(base, err)
	}
	return nil
}

// takeCookie records the server's current cookie for base (syncprov only), so that the
// next delta synchronizes from here.
func (rd *read) takeCookie(base string) error {
	if !rd.syncprov {
		return nil
	}
	c, err := rd.probe(base)
	if err != nil || c == "" {
		return err
	}
	if rd.cookies == nil {
		rd.cookies = make(map[string]string)
	}
	rd.cookies[normDN(base)] = c
	return nil
}

// changed upserts the users under base changed since the watermark.
func (rd *read) changed(base string, wm *watermark) error {
	var f string
	if rd.r.cfg.Kind == directory.ActiveDirectory {
		f = "(" + attrUSNChanged + ">=" + strconv.FormatInt(wm.USN+1, 10) + ")"
	} else {
		f = "(" + attrModifyTimestamp + ">=" + goldap.EscapeFilter(wm.ModifyTimestamp) + ")"
	}
	if err := rd.c.each(rd.ctx, base, rd.filter(f), rd.r.attrs, rd.upsert); err != nil {
		return rd.searchError(base, err)
	}
	return nil
}

// enumerate reports as Present every user under base not upserted or rejected in this read:
// with it, the read names every user in scope (Result.Complete).
func (rd *read) enumerate(base string) error {
	anchor := []string{rd.r.schema.AnchorAttribute()}
	if err := rd.c.each(rd.ctx, base, rd.filter(""), anchor, rd.present); err != nil {
		return rd.searchError(base, err)
	}
	return nil
}

// openLDAPDelta reads each base DN from its cookie when syncprov offers content
// synchronization, else by modifyTimestamp and an enumeration (see sync.go and the package
// documentation). It returns whether every base DN had to be read in full and whether the
// read is complete.
func (rd *read) openLDAPDelta(wm *watermark) (full, complete bool, err error) {
	rd.reported = &anchorSet{}
	outcome := make([]syncOutcome, len(rd.r.bases))
	fulls := 0
	for i, b := range rd.r.bases {
		cookie := wm.Cookies[normDN(b)]
		if !rd.syncprov || cookie == "" {
			// No cookie yet (or no syncprov): take one for the next delta, then read the
			// changes; the enumeration below completes the base.
			if err := rd.takeCookie(b); err != nil {
				return false, false, err
			}
			if err := rd.changed(b, wm); err != nil {
				return false, false, err
			}
			outcome[i] = syncEnumerate
			continue
		}
		out, next, err := rd.refresh(b, cookie)
		if err != nil {
			return false, false, rd.searchError(b, err)
		}
		if out == syncRefused {
			if err := rd.fullBase(b); err != nil {
				return false, false, err
			}
			out = syncComplete
			fulls++
		} else {
			if rd.cookies == nil {
				rd.cookies = make(map[string]string)
			}
			rd.cookies[normDN(b)] = next
		}
		outcome[i] = out
	}
	// Complete when any base DN is (its users not named are gone): then the bases read
	// incrementally are enumerated too. Otherwise only the deletions reported count.
	complete = slices.Contains(outcome, syncEnumerate) || slices.Contains(outcome, syncComplete)
	for i, b := range rd.r.bases {
		if outcome[i] == syncEnumerate || (complete && outcome[i] == syncIncremental) {
			if err := rd.enumerate(b); err != nil {
				return false, false, err
			}
		}
	}
	return fulls == len(rd.r.bases), complete, nil
}

// gone records the anchor of a user deleted or out of scope; reportGone tells the Handler
// at the end of the read, so that a user who moved between base DNs (gone from one, upserted
// in the other) is not deleted.
func (rd *read) gone(anchor []byte) {
	if len(anchor) == 16 {
		rd.leavers = append(rd.leavers, [16]byte(anchor))
	}
}

func (rd *read) reportGone() error {
	// A session log names a deletion to the refresh of every base DN: once is enough.
	slices.SortFunc(rd.leavers, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	rd.leavers = slices.Compact(rd.leavers)
	for _, a := range rd.leavers {
		if rd.reported.has(a) {
			continue
		}
		if err := rd.h.Delete(rd.ctx, a[:]); err != nil {
			rd.herr = err
			return err
		}
	}
	return nil
}

func (rd *read) upsert(e *entry) error {
	dn := string(e.dn)
	if !rd.sc.in(dn) {
		return nil
	}
	rd.cur = e
	if rd.r.cfg.Kind == directory.OpenLDAP {
		rd.maxModified.see(e.first(attrModifyTimestamp))
	}
	rec, rej := rd.r.schema.Record(dn, rd.values)
	if rej == nil && rd.r.cfg.Kind == directory.OpenLDAP {
		rd.passwordExpiry(e, &rec)
	}
	rd.cur = nil
	if rej != nil {
		rd.mark(rej.Anchor)
		return rd.handled(rd.h.Reject(rd.ctx, *rej))
	}
	rd.mark(rec.Anchor)
	return rd.handled(rd.h.Upsert(rd.ctx, rec))
}

func (rd *read) present(e *entry) error {
	if rd.sc.members != nil && !rd.sc.in(string(e.dn)) {
		return nil
	}
	a, err := rd.r.schema.ParseAnchor(e.first(rd.r.schema.AnchorAttribute()))
	if err != nil {
		return rd.handled(rd.h.Reject(rd.ctx, directory.Rejection{DN: string(e.dn), Reason: err.Error()}))
	}
	if len(a) == 16 && rd.reported.has([16]byte(a)) {
		return nil
	}
	return rd.handled(rd.h.Present(rd.ctx, a))
}

func (rd *read) mark(anchor []byte) {
	if rd.reported != nil && len(anchor) == 16 {
		rd.reported.add([16]byte(anchor))
	}
}

func (rd *read) handled(err error) error {
	if err != nil {
		rd.herr = err
		return errStop
	}
	return nil
}

func (rd *read) searchError(base string, err error) error {
	if errors.Is(err, errStop) {
		return err
	}
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return newError(ErrNotFound, err, "base DN %s does not exist", base)
	}
	return rd.c.wrap(err, "search %s", base)
}

// adState reads the DC's highestCommittedUSN and invocationId (rootDSE → dsServiceName).
func (rd *read) adState() (adState, error) {
	var st adState
	es, err := rd.c.searchOne("", goldap.ScopeBaseObject, "(objectClass=*)",
		[]string{attrHighestCommittedUSN, attrDSServiceName, attrDefaultNC, attrConfigNC, attrNamingContexts, attrSupportedControl})
	if err != nil {
		return st, rd.c.wrap(err, "read rootDSE")
	}
	if len(es) != 1 {
		return st, fmt.Errorf("read rootDSE: %d entries", len(es))
	}
	root := es[0]
	st.usn, err = strconv.ParseInt(root.GetEqualFoldAttributeValue(attrHighestCommittedUSN), 10, 64)
	if err != nil {
		return st, fmt.Errorf("rootDSE highestCommittedUSN %q: not an Active Directory DC (kind %s)? %w",
			root.GetEqualFoldAttributeValue(attrHighestCommittedUSN), rd.r.cfg.Kind, err)
	}
	st.defaultNC = root.GetEqualFoldAttributeValue(attrDefaultNC)
	st.configNC = root.GetEqualFoldAttributeValue(attrConfigNC)
	st.namingCtxs = root.GetEqualFoldAttributeValues(attrNamingContexts)
	st.controls = root.GetEqualFoldAttributeValues(attrSupportedControl)
	svc := root.GetEqualFoldAttributeValue(attrDSServiceName)
	if svc == "" {
		return st, errors.New("rootDSE has no dsServiceName")
	}
	es, err = rd.c.searchOne(svc, goldap.ScopeBaseObject, "(objectClass=*)", []string{attrInvocationID})
	if err != nil {
		return st, rd.c.wrap(err, "read invocationId of %s", svc)
	}
	if len(es) != 1 || len(es[0].GetEqualFoldRawAttributeValue(attrInvocationID)) == 0 {
		return st, fmt.Errorf("%s has no invocationId", svc)
	}
	st.invocationID = hex.EncodeToString(es[0].GetEqualFoldRawAttributeValue(attrInvocationID))
	return st, nil
}

// offersSync reads whether the OpenLDAP server offers RFC 4533 content synchronization
// (rootDSE supportedControl: the syncprov overlay is loaded).
func (rd *read) offersSync() (bool, error) {
	es, err := rd.c.searchOne("", goldap.ScopeBaseObject, "(objectClass=*)", []string{attrSupportedControl})
	if err != nil {
		return false, rd.c.wrap(err, "read rootDSE")
	}
	return len(es) == 1 && hasValueFold(es[0].GetEqualFoldAttributeValues(attrSupportedControl), goldap.ControlTypeSyncRequest), nil
}

// needFull decides whether a delta from wm is possible: not on another DC or a restored
// one, and not after the scope group (or a nested group) changed: a user who joined a group
// did not change himself, so only a full read finds him. On AD a change shows in the groups'
// uSNChanged; on OpenLDAP in the fingerprint of the member set.
func (rd *read) needFull(wm *watermark, ad adState) (bool, error) {
	if rd.r.cfg.Kind == directory.ActiveDirectory {
		if wm.InvocationID != ad.invocationID || ad.usn < wm.USN {
			return true, nil
		}
		if rd.r.cfg.Group == "" {
			return false, nil
		}
		base := ad.defaultNC
		if base == "" {
			base = rd.r.bases[0]
		}
		g := goldap.EscapeFilter(rd.r.cfg.Group)
		f := "(&(objectClass=group)(" + attrUSNChanged + ">=" + strconv.FormatInt(wm.USN+1, 10) + ")" +
			"(|(distinguishedName=" + g + ")(memberOf:" + ruleInChain + ":=" + g + ")))"
		changed := false
		// Read them all (few): leaving a streamed search early closes the connection.
		err := rd.c.each(rd.ctx, base, f, []string{"1.1"}, func(*entry) error {
			changed = true
			return nil
		})
		if err != nil {
			return false, rd.c.wrap(err, "check group %s for changes", rd.r.cfg.Group)
		}
		return changed, nil
	}
	return rd.r.cfg.Group != "" && wm.Members != rd.sc.membersHash(), nil
}

// scope checks the group and returns how to keep only its members.
func (rd *read) scope() (*scope, error) {
	g := rd.r.cfg.Group
	if g == "" {
		return &scope{}, nil
	}
	if rd.r.cfg.Kind == directory.ActiveDirectory {
		es, err := rd.c.searchOne(g, goldap.ScopeBaseObject, "(objectClass=*)", []string{attrObjectClass})
		if err != nil {
			return nil, rd.groupError(g, err)
		}
		if len(es) != 1 || !hasValueFold(es[0].GetEqualFoldAttributeValues(attrObjectClass), "group") {
			return nil, newError(ErrNotFound, nil, "group %s is not a group", g)
		}
		return &scope{clause: "(memberOf:" + ruleInChain + ":=" + goldap.EscapeFilter(g) + ")"}, nil
	}
	return rd.openLDAPGroup(g)
}

func (rd *read) groupError(g string, err error) error {
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return newError(ErrNotFound, err, "group %s does not exist", g)
	}
	return rd.c.wrap(err, "read group %s", g)
}

var groupClasses = []string{"groupOfNames", "groupOfUniqueNames"}

const groupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"

// openLDAPGroup collects the members of an OpenLDAP group and of the groups nested in it
// (groupOfNames member, groupOfUniqueNames uniqueMember): OpenLDAP has no in-chain rule and,
// by default, no memberOf. Which member is a group is learned from one enumeration of the
// group DNs in the group's naming context; then each nested group is read once.
func (rd *read) openLDAPGroup(g string) (*scope, error) {
	attrs := []string{attrObjectClass, attrMember, attrUniqueMember}
	es, err := rd.c.searchOne(g, goldap.ScopeBaseObject, "(objectClass=*)", attrs)
	if err != nil {
		return nil, rd.groupError(g, err)
	}
	if len(es) != 1 || !isGroup(es[0]) {
		return nil, newError(ErrNotFound, nil, "group %s is not a group (groupOfNames or groupOfUniqueNames)", g)
	}
	groups := make(map[string]struct{})
	bases, err := rd.namingContextsOf(g)
	if err != nil {
		return nil, err
	}
	for _, b := range bases {
		err := rd.c.each(rd.ctx, b, groupFilter, []string{"1.1"}, func(e *entry) error {
			groups[normDN(string(e.dn))] = struct{}{}
			return nil
		})
		if err != nil {
			return nil, rd.c.wrap(err, "list the groups under %s", b)
		}
	}
	sc := &scope{members: make(map[string]struct{})}
	seen := map[string]struct{}{normDN(g): {}}
	queue := []*goldap.Entry{es[0]}
	for len(queue) > 0 {
		ge := queue[0]
		queue = queue[1:]
		for _, v := range append(ge.GetEqualFoldAttributeValues(attrMember), ge.GetEqualFoldAttributeValues(attrUniqueMember)...) {
			v = stripUID(v)
			n := normDN(v)
			if _, isGroup := groups[n]; !isGroup {
				sc.members[n] = struct{}{}
				continue
			}
			if _, ok := seen[n]; ok {
				continue
			}
			seen[n] = struct{}{}
			nes, err := rd.c.searchOne(v, goldap.ScopeBaseObject, "(objectClass=*)", attrs)
			if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				continue // deleted since the enumeration
			}
			if err != nil {
				return nil, rd.c.wrap(err, "read nested group %s", v)
			}
			queue = append(queue, nes...)
		}
	}
	return sc, nil
}

// namingContextsOf returns the rootDSE naming contexts that hold dn, or dn's parent when the
// rootDSE lists none of them.
func (rd *read) namingContextsOf(dn string) ([]string, error) {
	target, err := goldap.ParseDN(dn)
	if err != nil {
		return nil, err
	}
	es, err := rd.c.searchOne("", goldap.ScopeBaseObject, "(objectClass=*)", []string{attrNamingContexts})
	if err != nil {
		return nil, rd.c.wrap(err, "read rootDSE")
	}
	var out []string
	if len(es) == 1 {
		for _, nc := range es[0].GetEqualFoldAttributeValues(attrNamingContexts) {
			p, err := goldap.ParseDN(nc)
			if err == nil && len(p.RDNs) > 0 && (p.AncestorOfFold(target) || p.EqualFold(target)) {
				out = append(out, nc)
			}
		}
	}
	if len(out) == 0 && len(target.RDNs) > 1 {
		out = append(out, (&goldap.DN{RDNs: target.RDNs[1:]}).String())
	}
	return out, nil
}

func isGroup(e *goldap.Entry) bool {
	for _, oc := range e.GetEqualFoldAttributeValues(attrObjectClass) {
		if hasValueFold(groupClasses, oc) {
			return true
		}
	}
	return false
}

// stripUID drops the optional "#'0101'B" UID of a uniqueMember (nameAndOptionalUID syntax).
func stripUID(v string) string {
	if i := strings.LastIndex(v, "#'"); i > 0 && strings.HasSuffix(v, "'B") {
		return v[:i]
	}
	return v
}

func hasValueFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
