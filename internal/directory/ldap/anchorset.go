package ldap

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// anchorSet is a set of 16-byte anchors at 16 bytes each (a map of them costs 36 bytes each:
// a delta that re-reads a million users held 36 MB in one). Anchors are added in any order;
// a lookup first sorts what was added since the last one into the sorted part.
type anchorSet struct {
	sorted [][16]byte
	added  [][16]byte
}

func (s *anchorSet) add(a [16]byte) { s.added = append(s.added, a) }

// has reports whether a was added; a nil set has nothing.
func (s *anchorSet) has(a [16]byte) bool {
	if s == nil {
		return false
	}
	if len(s.added) > 0 {
		s.settle()
	}
	_, ok := slices.BinarySearchFunc(s.sorted, a, compareAnchors)
	return ok
}

// settle sorts the anchors added into the sorted part, without duplicates.
func (s *anchorSet) settle() {
	add := s.added
	s.added = nil
	slices.SortFunc(add, compareAnchors)
	add = slices.Compact(add)
	if len(s.sorted) == 0 {
		s.sorted = add
		return
	}
	merged := make([][16]byte, 0, len(s.sorted)+len(add))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(add) {
		switch c := compareAnchors(s.sorted[i], add[j]); {
		case c < 0:
			merged = append(merged, s.sorted[i])
			i++
		case c > 0:
			merged = append(merged, add[j])
			j++
		default:
			merged = append(merged, add[j])
			i++
			j++
		}
	}
	merged = append(merged, s.sorted[i:]...)
	s.sorted = append(merged, add[j:]...)
}

// compareAnchors orders anchors as bytes.Compare does, in two 8-byte steps.
func compareAnchors(a, b [16]byte) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}
