package phone

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// sameAsParse checks fastParse against phonenumbers.Parse for "+digits".
func sameAsParse(t *testing.T, digits string) (fast bool) {
	t.Helper()
	var got phonenumbers.PhoneNumber
	if !fastParse([]byte(digits), &got) {
		return false
	}
	want, err := phonenumbers.Parse("+"+digits, "")
	if err != nil {
		t.Errorf("+%s: fastParse accepted what Parse refuses: %v", digits, err)
		return true
	}
	if got.GetCountryCode() != want.GetCountryCode() || got.GetNationalNumber() != want.GetNationalNumber() ||
		got.GetItalianLeadingZero() != want.GetItalianLeadingZero() || got.GetNumberOfLeadingZeros() != want.GetNumberOfLeadingZeros() {
		t.Errorf("+%s: fastParse %v, Parse %v", digits, &got, want)
	}
	return true
}

func TestFastParseMatchesParse(t *testing.T) {
	fixed := []string{"14255551234", "442079460958", "447400123456", "4915123456789", "390612345678",
		"33612345678", "61412345678", "8001234567", "80012345678", "74951234567", "5215512345678",
		"541112345678", "5491112345678", "12", "1", "999123", "4402079460958", "3531234567"}
	for _, d := range fixed {
		sameAsParse(t, d)
	}
	// Every country code, random national numbers of every plausible length.
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for cc := range prefixRules() {
		for n := 4; n <= 14; n++ {
			for range 20 {
				digits := fmt.Sprintf("%d%0*d", cc, n, r.Uint64N(1_000_000_000_000_000)%pow10(n))
				if sameAsParse(t, digits) {
					fast++
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("fastParse never took the fast path")
	}
	t.Logf("fast path taken for %d random numbers", fast)
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func FuzzFastParse(f *testing.F) {
	for _, s := range []string{"14255551234", "442079460958", "390612345678", "5491112345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, digits string) {
		for _, c := range digits {
			if c < '0' || c > '9' {
				return
			}
		}
		if len(digits) > 20 {
			return
		}
		sameAsParse(t, digits)
	})
}

// TestFastParseNationalMatchesParse checks fastParseNational against Parse for numbers written
// without + in every region.
func TestFastParseNationalMatchesParse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fast := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for n := 3; n <= 13; n++ {
			for range 15 {
				digits := fmt.Sprintf("%0*d", n, r.Uint64N(pow10(n)))
				var got phonenumbers.PhoneNumber
				if !fastParseNational([]byte(digits), region, &got) {
					continue
				}
				fast++
				want, err := phonenumbers.Parse(digits, region)
				if err != nil {
					t.Errorf("%s in %s: fast path accepted what Parse refuses: %v", digits, region, err)
					continue
				}
				if got.GetCountryCode() != want.GetCountryCode() || got.GetNationalNumber() != want.GetNationalNumber() ||
					got.GetItalianLeadingZero() != want.GetItalianLeadingZero() {
					t.Errorf("%s in %s: fast %v, Parse %v", digits, region, &got, want)
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("the national fast path never applied")
	}
	t.Logf("national fast path taken for %d random numbers", fast)
}
