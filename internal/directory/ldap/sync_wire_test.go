package ldap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// rawControl is a response control as a server sends it, for the decoders under test.
type rawControl struct {
	oid   string
	value *ber.Packet
}

func (c rawControl) GetControlType() string { return c.oid }
func (c rawControl) String() string         { return c.oid }
func (c rawControl) Encode() *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, c.oid, ""))
	v := ber.Encode(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, nil, "")
	v.Value = c.value.Bytes()
	v.Data.Write(c.value.Bytes())
	p.AppendChild(v)
	return p
}

func seq(children ...*ber.Packet) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, c := range children {
		p.AppendChild(c)
	}
	return p
}

func octets(b []byte) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, nil, "")
	p.Value = b
	p.Data.Write(b)
	return p
}

func boolean(v bool) *ber.Packet {
	return ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, v, "")
}

// controlsOf returns the [0] Controls value of a message carrying cs.
func controlsOf(t *testing.T, cs ...goldap.Control) []byte {
	t.Helper()
	m, err := parseMessage(doneMessage(2, 0, "", cs...))
	if err != nil {
		t.Fatal(err)
	}
	return m.controls
}

var (
	uuid1 = bytes.Repeat([]byte{0x11}, 16)
	uuid2 = bytes.Repeat([]byte{0x22}, 16)
)

func TestDecodeSyncState(t *testing.T) {
	for _, tt := range []struct {
		name   string
		value  *ber.Packet
		state  int64
		cookie []byte
	}{
		{"add with cookie", seq(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(1), ""), octets(uuid1), octets([]byte("rid=000,csn=x"))), syncStateAdd, []byte("rid=000,csn=x")},
		{"present", seq(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""), octets(uuid1)), syncStatePresent, nil},
		{"delete", seq(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(3), ""), octets(uuid1)), syncStateDelete, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, found, err := parseSyncState(controlsOf(t, goldap.NewControlPaging(5), rawControl{goldap.ControlTypeSyncState, tt.value}))
			if err != nil || !found {
				t.Fatal(found, err)
			}
			if st.state != tt.state || !bytes.Equal(st.uuid, uuid1) || !bytes.Equal(st.cookie, tt.cookie) {
				t.Errorf("got %+v", st)
			}
			// go-ldap reads the same.
			ref, err := goldap.NewControlSyncState(ber.DecodePacket(tt.value.Bytes()))
			if err != nil || int64(ref.State) != st.state || !bytes.Equal(ref.EntryUUID[:], st.uuid) || !bytes.Equal(ref.Cookie, st.cookie) {
				t.Errorf("go-ldap reads %+v, %v", ref, err)
			}
		})
	}
	if _, found, err := parseSyncState(controlsOf(t, goldap.NewControlPaging(5))); found || err != nil {
		t.Errorf("no sync state: found=%v err=%v", found, err)
	}
	short := seq(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(1), ""), octets(uuid1[:5]))
	if _, _, err := parseSyncState(controlsOf(t, rawControl{goldap.ControlTypeSyncState, short})); !errors.Is(err, errMalformed) {
		t.Errorf("5-byte UUID: err = %v", err)
	}
}

func TestDecodeSyncDone(t *testing.T) {
	for _, tt := range []struct {
		name    string
		value   *ber.Packet
		cookie  []byte
		deletes bool
	}{
		{"cookie and refreshDeletes", seq(octets([]byte("c1")), boolean(true)), []byte("c1"), true},
		{"cookie only", seq(octets([]byte("c2"))), []byte("c2"), false},
		{"refreshDeletes only", seq(boolean(true)), nil, true},
		{"empty", seq(), nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, found, err := parseSyncDone(controlsOf(t, rawControl{goldap.ControlTypeSyncDone, tt.value}))
			if err != nil || !found || !bytes.Equal(d.cookie, tt.cookie) || d.refreshDeletes != tt.deletes {
				t.Errorf("got %+v found=%v err=%v", d, found, err)
			}
			ref, _ := goldap.NewControlSyncDone(ber.DecodePacket(tt.value.Bytes()))
			if !bytes.Equal(ref.Cookie, d.cookie) || ref.RefreshDeletes != d.refreshDeletes {
				t.Errorf("go-ldap reads %+v", ref)
			}
		})
	}
}

func TestDecodeSyncInfo(t *testing.T) {
	choice := func(tag ber.Tag, children ...*ber.Packet) *ber.Packet {
		p := ber.Encode(ber.ClassContext, ber.TypeConstructed, tag, nil, "")
		for _, c := range children {
			p.AppendChild(c)
		}
		return p
	}
	set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
	set.AppendChild(octets(uuid1))
	set.AppendChild(octets(uuid2))
	newCookie := ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "c0", "")
	for _, tt := range []struct {
		name   string
		value  *ber.Packet
		kind   byte
		cookie []byte
		flag   bool
		uuids  [][]byte
	}{
		{"newcookie", newCookie, syncInfoNewCookie, []byte("c0"), false, nil},
		{"refreshDelete, done by default", choice(1, octets([]byte("c1"))), syncInfoRefreshDelete, []byte("c1"), true, nil},
		{"refreshPresent, not done", choice(2, boolean(false)), syncInfoRefreshPresent, nil, false, nil},
		{"syncIdSet of deletions", choice(3, octets([]byte("c3")), boolean(true), set), syncInfoIDSet, []byte("c3"), true, [][]byte{uuid1, uuid2}},
		{"syncIdSet of presents", choice(3, set), syncInfoIDSet, nil, false, [][]byte{uuid1, uuid2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationIntermediateResponse, nil, "")
			op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, goldap.ControlTypeSyncInfo, ""))
			v := ber.Encode(ber.ClassContext, ber.TypePrimitive, 1, nil, "")
			v.Value = tt.value.Bytes()
			v.Data.Write(tt.value.Bytes())
			op.AppendChild(v)
			m, err := parseMessage(envelope(4, op))
			if err != nil || m.op != opIntermediate {
				t.Fatal(m, err)
			}
			name, value, err := parseIntermediate(m.body)
			if err != nil || string(name) != goldap.ControlTypeSyncInfo {
				t.Fatalf("name %q, %v", name, err)
			}
			info, err := parseSyncInfo(value)
			if err != nil || info.kind != tt.kind || !bytes.Equal(info.cookie, tt.cookie) || info.flag != tt.flag {
				t.Fatalf("got %+v, %v", info, err)
			}
			var uuids [][]byte
			if err := eachUUID(info.uuids, func(u []byte) { uuids = append(uuids, u) }); err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(uuids, tt.uuids, bytes.Equal) {
				t.Errorf("uuids %x", uuids)
			}
			ref, err := goldap.NewControlSyncInfo(ber.DecodePacket(tt.value.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case ref.SyncIdSet != nil:
				if ref.SyncIdSet.RefreshDeletes != info.flag || len(ref.SyncIdSet.SyncUUIDs) != len(uuids) {
					t.Errorf("go-ldap reads %+v", ref.SyncIdSet)
				}
			case ref.RefreshDelete != nil:
				if ref.RefreshDelete.RefreshDone != info.flag {
					t.Errorf("go-ldap reads %+v", ref.RefreshDelete)
				}
			case ref.RefreshPresent != nil:
				if ref.RefreshPresent.RefreshDone != info.flag {
					t.Errorf("go-ldap reads %+v", ref.RefreshPresent)
				}
			}
		})
	}
}

func TestCheckCookie(t *testing.T) {
	for c, ok := range map[string]bool{
		"rid=000,csn=20261126065504.984182Z#000000#000#000000":                                                  true,
		"csn=20261126065504.984182Z#000000#000#000000":                                                          true,
		"rid=001,sid=002,csn=20261126065504.984182Z#000000#000#000000;20261126065504.984182Z#000000#001#000000": true,
		"rid=000,csn=20261126065504.984182Z#000000#000#000000,delcsn=20261126065511.180542Z#000000#000#000000":  true,
		"":                      false,
		"rid=000":               false,
		"rid=000,csn=":          false,
		"rid=000,csn=20261126Z": false,
		"garbage":               false,
		"csn=20261126065504.984182Z#000000#000#000000,csn=20261126065504.984182Z#000000#000#000000": false,
	} {
		if err := checkCookie(c); (err == nil) != ok {
			t.Errorf("checkCookie(%q) = %v, want ok=%v", c, err, ok)
		}
	}
}

// sid builds a binary SID S-1-<authority>-<subs...>.
func sid(authority byte, subs ...uint32) []byte {
	b := []byte{1, byte(len(subs)), 0, 0, 0, 0, 0, authority}
	for _, s := range subs {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	return b
}

type testACE struct {
	typ, flags byte
	mask       uint32
	objectType bool
	sid        []byte
}

// securityDescriptor builds a self-relative descriptor with only a DACL.
func securityDescriptor(aces ...testACE) []byte {
	var body []byte
	for _, a := range aces {
		var ace []byte
		ace = binary.LittleEndian.AppendUint32(ace, a.mask)
		if a.typ == aceAllowedObject || a.typ == aceDeniedObject {
			var of uint32
			if a.objectType {
				of = aceObjectType
			}
			ace = binary.LittleEndian.AppendUint32(ace, of)
			if a.objectType {
				ace = append(ace, bytes.Repeat([]byte{7}, 16)...)
			}
		}
		ace = append(ace, a.sid...)
		hdr := []byte{a.typ, a.flags, 0, 0}
		binary.LittleEndian.PutUint16(hdr[2:], uint16(4+len(ace)))
		body = append(body, append(hdr, ace...)...)
	}
	acl := []byte{2, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(acl[2:], uint16(8+len(body)))
	binary.LittleEndian.PutUint16(acl[4:], uint16(len(aces)))
	sd := []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0}
	binary.LittleEndian.PutUint16(sd[2:], 0x8000|sdDACLPresent)
	return append(append(sd, acl...), body...)
}

func TestAllows(t *testing.T) {
	system := sid(5, 18)
	admins := sid(5, 32, 544)
	svc := sid(5, 21, 1, 2, 3, 1105)
	other := sid(5, 21, 1, 2, 3, 1106)
	const lcrp = rightListChildren | rightReadProperty
	def := []testACE{{aceAllowed, 0, 0xf01ff, false, system}, {aceAllowed, 0, lcrp, false, admins}}
	tests := []struct {
		name  string
		aces  []testACE
		token [][]byte
		want  bool
	}{
		{"default DACL, an administrator", def, [][]byte{svc, admins}, true},
		{"default DACL, a plain account", def, [][]byte{svc}, false},
		{"delegated LC RP", append([]testACE{{aceAllowed, 0, lcrp, false, svc}}, def...), [][]byte{svc}, true},
		{"LC only", []testACE{{aceAllowed, 0, rightListChildren, false, svc}}, [][]byte{svc}, false},
		{"generic read", []testACE{{aceAllowed, 0, rightGenericRead, false, svc}}, [][]byte{svc}, true},
		{"deny first", []testACE{{aceDenied, 0, rightListChildren, false, svc}, {aceAllowed, 0, lcrp, false, svc}}, [][]byte{svc}, false},
		{"allow first", []testACE{{aceAllowed, 0, lcrp, false, svc}, {aceDenied, 0, rightListChildren, false, svc}}, [][]byte{svc}, true},
		{"deny to another", []testACE{{aceDenied, 0, lcrp, false, other}, {aceAllowed, 0, lcrp, false, svc}}, [][]byte{svc}, true},
		{"inherit-only", []testACE{{aceAllowed, aceInheritOnly, lcrp, false, svc}}, [][]byte{svc}, false},
		{"object-specific allow", []testACE{{aceAllowedObject, 0, lcrp, true, svc}}, [][]byte{svc}, false},
		{"object allow without type", []testACE{{aceAllowedObject, 0, lcrp, false, svc}}, [][]byte{svc}, true},
		{"object-specific deny", []testACE{{aceDeniedObject, 0, rightReadProperty, true, svc}, {aceAllowed, 0, lcrp, false, svc}}, [][]byte{svc}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allows(securityDescriptor(tt.aces...), tt.token, lcrp); got != tt.want {
				t.Errorf("allows = %v, want %v", got, tt.want)
			}
		})
	}
	sd := securityDescriptor(def...)
	for n := range len(sd) {
		if allows(sd[:n], [][]byte{admins}, lcrp) {
			t.Errorf("a descriptor cut at %d bytes allows", n)
		}
	}
	null := []byte{1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !allows(null, [][]byte{svc}, lcrp) {
		t.Error("no DACL: everything is allowed")
	}
}

// A message longer than 64 MiB is refused before anything is allocated for it.
func TestHeaderRefusesHugeMessages(t *testing.T) {
	for name, b := range map[string][]byte{
		"64 MiB + 1":      {0x30, 0x84, 0x04, 0x00, 0x00, 0x01},
		"negative (2^31)": {0x30, 0x84, 0x80, 0x00, 0x00, 0x00},
	} {
		c := &conn{br: bufio.NewReader(bytes.NewReader(b))}
		if _, _, err := c.header(); !errors.Is(err, errMalformed) {
			t.Errorf("%s: err = %v, want errMalformed", name, err)
		}
	}
	c := &conn{br: bufio.NewReader(bytes.NewReader([]byte{0x30, 0x84, 0x04, 0x00, 0x00, 0x00}))}
	if _, n, err := c.header(); err != nil || n != 6+64<<20 {
		t.Errorf("64 MiB: %d, %v", n, err)
	}
}

func FuzzSyncControls(f *testing.F) {
	f.Add(seq(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(1), ""), octets(uuid1)).Bytes())
	f.Add(seq(octets([]byte("c1")), boolean(true)).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseSyncInfo(b)
		_, _, _ = parseIntermediate(b)
		_, _, _, _ = cookieAndFlag(b, true)
		_ = eachUUID(b, func([]byte) {})
		_ = allows(b, [][]byte{sid(5, 32, 544)}, rightListChildren)
	})
}
