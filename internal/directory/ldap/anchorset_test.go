package ldap

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// An anchorSet answers as a map does, whatever the order of adds and lookups.
func TestAnchorSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	anchor := func() [16]byte {
		var a [16]byte
		for i := range a {
			a[i] = byte(r.IntN(4)) // few values: many equal prefixes and duplicates
		}
		return a
	}
	for _, phases := range []int{1, 2, 7} {
		s, want := &anchorSet{}, map[[16]byte]bool{}
		for range phases {
			for range 500 {
				a := anchor()
				s.add(a)
				want[a] = true
			}
			for range 500 {
				a := anchor()
				if got := s.has(a); got != want[a] {
					t.Fatalf("%d phases: has(%x) = %v, want %v", phases, a, got, want[a])
				}
			}
		}
		for a := range want {
			if !s.has(a) {
				t.Errorf("%d phases: %x added, not found", phases, a)
			}
		}
		if s.has([16]byte{9}) {
			t.Errorf("%d phases: an anchor never added is found", phases)
		}
	}
	var empty anchorSet
	var none *anchorSet
	if empty.has([16]byte{}) || none.has([16]byte{}) {
		t.Error("an empty or nil set has the zero anchor")
	}
}

func TestCompareAnchors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		var a, b [16]byte
		for i := range a {
			a[i], b[i] = byte(r.IntN(3)), byte(r.IntN(3))
		}
		if got, want := compareAnchors(a, b), bytes.Compare(a[:], b[:]); got != want {
			t.Fatalf("compareAnchors(%x, %x) = %d, want %d", a, b, got, want)
		}
	}
}
