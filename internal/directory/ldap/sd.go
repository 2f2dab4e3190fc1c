package ldap

import "encoding/binary"

// Access checks on a security descriptor (MS-DTYP 2.4.6, self-relative), enough to know
// whether an account may list and read a container: allows walks the DACL in order, as
// Windows does, and answers for the rights asked. Conservative where it cannot be exact:
// an object-specific allow (a right on one property set or child class) grants nothing
// here, an object-specific deny of an asked right denies it.

const (
	rightListChildren = 0x00000004 // ADS_RIGHT_ACTRL_DS_LIST (LC)
	rightReadProperty = 0x00000010 // ADS_RIGHT_DS_READ_PROP (RP)
	rightGenericAll   = 0x10000000
	rightGenericRead  = 0x80000000

	aceAllowed       = 0x00
	aceDenied        = 0x01
	aceAllowedObject = 0x05
	aceDeniedObject  = 0x06
	aceInheritOnly   = 0x08 // AceFlags INHERIT_ONLY_ACE
	aceObjectType    = 0x01 // object ACE Flags: ObjectType present
	aceInheritedType = 0x02 // object ACE Flags: InheritedObjectType present
	sdDACLPresent    = 0x0004
)

// allows reports whether the DACL of the self-relative security descriptor sd grants every
// right of want to a token holding the SIDs token (binary). A malformed descriptor allows
// nothing; an absent (NULL) DACL allows everything.
func allows(sd []byte, token [][]byte, want uint32) bool {
	if len(sd) < 20 || sd[0] != 1 {
		return false
	}
	control := binary.LittleEndian.Uint16(sd[2:4])
	off := int(binary.LittleEndian.Uint32(sd[16:20]))
	if control&sdDACLPresent == 0 || off == 0 {
		return true
	}
	if off+8 > len(sd) {
		return false
	}
	acl := sd[off:]
	size := int(binary.LittleEndian.Uint16(acl[2:4]))
	count := int(binary.LittleEndian.Uint16(acl[4:6]))
	if size < 8 || size > len(acl) {
		return false
	}
	aces := acl[8:size]
	var granted, denied uint32
	for i := 0; i < count; i++ {
		if len(aces) < 4 {
			return false
		}
		typ, flags := aces[0], aces[1]
		n := int(binary.LittleEndian.Uint16(aces[2:4]))
		if n < 8 || n > len(aces) {
			return false
		}
		ace := aces[:n]
		aces = aces[n:]
		if flags&aceInheritOnly != 0 {
			continue
		}
		mask := binary.LittleEndian.Uint32(ace[4:8])
		if mask&rightGenericAll != 0 {
			mask |= rightListChildren | rightReadProperty
		}
		if mask&rightGenericRead != 0 {
			mask |= rightListChildren | rightReadProperty
		}
		body := ace[8:]
		specific := false
		switch typ {
		case aceAllowed, aceDenied:
		case aceAllowedObject, aceDeniedObject:
			if len(body) < 4 {
				return false
			}
			of := binary.LittleEndian.Uint32(body[:4])
			body = body[4:]
			if of&aceObjectType != 0 {
				specific = true
				if len(body) < 16 {
					return false
				}
				body = body[16:]
			}
			if of&aceInheritedType != 0 {
				if len(body) < 16 {
					return false
				}
				body = body[16:]
			}
		default:
			continue // audit, callback and other ACEs grant nothing here
		}
		if !holds(token, body) {
			continue
		}
		undecided := mask & want &^ (granted | denied)
		switch {
		case typ == aceDenied || typ == aceDeniedObject:
			denied |= undecided
		case !specific:
			granted |= undecided
		}
	}
	return granted&want == want
}

// holds reports whether the SID at the start of b is one of the token's.
func holds(token [][]byte, b []byte) bool {
	if len(b) < 8 {
		return false
	}
	n := 8 + 4*int(b[1])
	if n > len(b) {
		return false
	}
	sid := b[:n]
	for _, t := range token {
		if string(t) == string(sid) {
			return true
		}
	}
	return false
}
