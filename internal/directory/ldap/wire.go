package ldap

import (
	"bytes"
	"errors"
	"fmt"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// The LDAP messages a Read exchanges, encoded with asn1-ber and go-ldap's filter compiler,
// and decoded here in place: go-ldap decodes every response into a tree of ber.Packets with
// descriptions (some 340 allocations per user entry), which made a read of 100,000 users
// three times slower than ldapsearch. This decoder takes each entry's values as slices of
// the message buffer, reused for the next message; Schema.Record copies what it keeps.
//
// LDAP's BER (RFC 4511 5.1) uses definite lengths and one-byte tags only.

// BER tags used below (class and constructed bits included).
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31
	tagBoolean     = 0x01
	tagControls    = 0xa0 // [0] Controls in an LDAPMessage

	opBindResponse     = 0x61 // [APPLICATION 1]
	opSearchEntry      = 0x64 // [APPLICATION 4]
	opSearchDone       = 0x65 // [APPLICATION 5]
	opSearchReference  = 0x73 // [APPLICATION 19]
	opExtendedResponse = 0x78 // [APPLICATION 24]
	opIntermediate     = 0x79 // [APPLICATION 25]

	maxMessage = 64 << 20 // a larger message is refused rather than allocated
)

var errMalformed = errors.New("malformed LDAP message")

// tlv splits b into its first element's tag and value, and what follows.
func tlv(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errMalformed
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: multi-byte tag", errMalformed)
	}
	n, hl, err := berLength(b[1:])
	if err != nil {
		return 0, nil, nil, err
	}
	b = b[1+hl:]
	if n > len(b) {
		return 0, nil, nil, fmt.Errorf("%w: length %d past the end", errMalformed, n)
	}
	return tag, b[:n], b[n:], nil
}

// berLength decodes a definite length; it returns the length and the bytes it took.
func berLength(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, errMalformed
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, fmt.Errorf("%w: bad length", errMalformed)
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	if n < 0 || n > maxMessage {
		return 0, 0, fmt.Errorf("%w: length %d", errMalformed, n)
	}
	return n, 1 + k, nil
}

func berInt(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", errMalformed, len(v))
	}
	n := int64(int8(v[0])) // sign
	for _, c := range v[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

// expect reads an element that must have the given tag.
func expect(b []byte, want byte) (val, rest []byte, err error) {
	tag, val, rest, err := tlv(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, fmt.Errorf("%w: tag 0x%02x, want 0x%02x", errMalformed, tag, want)
	}
	return val, rest, nil
}

// message is one decoded LDAPMessage; op and controls point into the read buffer.
type message struct {
	id       int64
	op       byte
	body     []byte // the protocolOp's value
	controls []byte // the value of [0] Controls, or nil
	start    int    // where the message starts in a stream's batch
}

func parseMessage(b []byte) (message, error) {
	var m message
	seq, _, err := expect(b, tagSequence)
	if err != nil {
		return m, err
	}
	idv, rest, err := expect(seq, tagInteger)
	if err != nil {
		return m, err
	}
	if m.id, err = berInt(idv); err != nil {
		return m, err
	}
	m.op, m.body, rest, err = tlv(rest)
	if err != nil {
		return m, err
	}
	if len(rest) > 0 {
		var tag byte
		if tag, m.controls, _, err = tlv(rest); err != nil {
			return m, err
		}
		if tag != tagControls {
			m.controls = nil
		}
	}
	return m, nil
}

// result decodes an LDAPResult (resultCode, matchedDN, diagnosticMessage) into nil or a
// *goldap.Error, so that goldap.IsErrorWithCode applies.
func result(body []byte) error {
	code, rest, err := expect(body, tagEnumerated)
	if err != nil {
		return err
	}
	rc, err := berInt(code)
	if err != nil {
		return err
	}
	matched, rest, err := expect(rest, tagOctetString)
	if err != nil {
		return err
	}
	diag, _, err := expect(rest, tagOctetString)
	if err != nil {
		return err
	}
	if rc == 0 {
		return nil
	}
	return &goldap.Error{ResultCode: uint16(rc), MatchedDN: string(matched), Err: errors.New(string(diag))}
}

// findControl returns the value of the control of type oid among a message's controls (the
// value of [0] Controls); found is false when it is not there.
func findControl(controls []byte, oid string) (value []byte, found bool, err error) {
	for len(controls) > 0 {
		var ctl []byte
		if ctl, controls, err = expect(controls, tagSequence); err != nil {
			return nil, false, err
		}
		typ, rest, err := expect(ctl, tagOctetString)
		if err != nil {
			return nil, false, err
		}
		if string(typ) != oid {
			continue
		}
		if len(rest) == 0 {
			return nil, true, nil
		}
		tag, val, rest, err := tlv(rest)
		if err != nil {
			return nil, false, err
		}
		if tag == tagBoolean { // criticality
			if len(rest) == 0 {
				return nil, true, nil
			}
			if val, _, err = expect(rest, tagOctetString); err != nil {
				return nil, false, err
			}
		} else if tag != tagOctetString {
			return nil, false, fmt.Errorf("%w: control %s value", errMalformed, oid)
		}
		return val, true, nil
	}
	return nil, false, nil
}

// pagingCookie finds the paged-results control among a message's controls.
func pagingCookie(controls []byte) (cookie []byte, found bool, err error) {
	val, found, err := findControl(controls, goldap.ControlTypePaging)
	if err != nil || !found {
		return nil, found, err
	}
	seq, _, err := expect(val, tagSequence)
	if err != nil {
		return nil, false, err
	}
	_, rest, err := expect(seq, tagInteger) // size estimate
	if err != nil {
		return nil, false, err
	}
	if cookie, _, err = expect(rest, tagOctetString); err != nil {
		return nil, false, err
	}
	return cookie, true, nil
}

// entry is a SearchResultEntry decoded in place. It is valid until the next message is read.
type entry struct {
	dn    []byte
	attrs []attribute
}

type attribute struct {
	name []byte
	vals [][]byte
}

func (e *entry) parse(body []byte) error {
	dn, rest, err := expect(body, tagOctetString)
	if err != nil {
		return err
	}
	e.dn = dn
	list, _, err := expect(rest, tagSequence)
	if err != nil {
		return err
	}
	n := 0
	for len(list) > 0 {
		var pa []byte
		if pa, list, err = expect(list, tagSequence); err != nil {
			return err
		}
		name, rest, err := expect(pa, tagOctetString)
		if err != nil {
			return err
		}
		set, _, err := expect(rest, tagSet)
		if err != nil {
			return err
		}
		if n == len(e.attrs) {
			e.attrs = append(e.attrs, attribute{})
		}
		a := &e.attrs[n]
		a.name, a.vals = name, a.vals[:0]
		for len(set) > 0 {
			var v []byte
			if v, set, err = expect(set, tagOctetString); err != nil {
				return err
			}
			a.vals = append(a.vals, v)
		}
		n++
	}
	e.attrs = e.attrs[:n]
	return nil
}

// values returns the values of attr (case-insensitive), nil when absent. AD returns ranged
// names ("member;range=0-1499") only for large multi-valued attributes, never read here.
func (e *entry) values(attr string) [][]byte {
	for i := range e.attrs {
		if equalFoldASCII(e.attrs[i].name, attr) {
			return e.attrs[i].vals
		}
	}
	return nil
}

func (e *entry) first(attr string) []byte {
	if v := e.values(attr); len(v) > 0 {
		return v[0]
	}
	return nil
}

// copyEntry turns e into a *goldap.Entry that outlives the read buffer.
func (e *entry) copyEntry() *goldap.Entry {
	out := &goldap.Entry{DN: string(e.dn)}
	for _, a := range e.attrs {
		ea := &goldap.EntryAttribute{Name: string(a.name)}
		for _, v := range a.vals {
			ea.Values = append(ea.Values, string(v))
			ea.ByteValues = append(ea.ByteValues, bytes.Clone(v))
		}
		out.Attributes = append(out.Attributes, ea)
	}
	return out
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Requests.

func envelope(id int64, op *ber.Packet, controls ...goldap.Control) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	p.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, c := range controls {
			cs.AppendChild(c.Encode())
		}
		p.AppendChild(cs)
	}
	return p.Bytes()
}

func bindRequest(id int64, dn, password string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationBindRequest, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, ""))
	return envelope(id, op)
}

func searchRequest(id int64, base string, scope int, filter *ber.Packet, attrs []string, controls ...goldap.Control) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationSearchRequest, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, base, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(scope), ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(goldap.NeverDerefAliases), ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(0), ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(0), ""))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	op.AppendChild(filter)
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range attrs {
		as.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, ""))
	}
	op.AppendChild(as)
	return envelope(id, op, controls...)
}

func unbindRequest(id int64) []byte {
	return envelope(id, ber.Encode(ber.ClassApplication, ber.TypePrimitive, goldap.ApplicationUnbindRequest, nil, ""))
}

// noticeOfDisconnection explains an unsolicited ExtendedResponse (message ID 0).
func noticeOfDisconnection(m message) error {
	err := result(m.body)
	if err == nil {
		err = errors.New("notice of disconnection")
	}
	return fmt.Errorf("the directory ended the connection: %w", err)
}
