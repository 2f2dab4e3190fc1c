package phone

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func sameTypeAsLibrary(t *testing.T, cc int, national string) {
	t.Helper()
	pn, err := phonenumbers.Parse("+"+strconv.Itoa(cc)+national, "")
	if err != nil {
		return
	}
	if got, want := numberType(pn), phonenumbers.GetNumberType(pn); got != want {
		t.Errorf("+%d %s: numberType %v, GetNumberType %v", cc, national, got, want)
	}
}

// TestNumberTypeMatchesLibrary compares numberType with libphonenumber's GetNumberType on every
// country code, with each region's example numbers and random numbers of every plausible length.
func TestNumberTypeMatchesLibrary(t *testing.T) {
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
			phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
			phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL} {
			if ex := phonenumbers.GetExampleNumberForType(region, typ); ex != nil {
				sameTypeAsLibrary(t, int(ex.GetCountryCode()), phonenumbers.GetNationalSignificantNumber(ex))
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for cc := range prefixRules() {
		for n := 4; n <= 13; n++ {
			for range 30 {
				sameTypeAsLibrary(t, cc, fmt.Sprintf("%0*d", n, r.Uint64N(pow10(n))))
			}
		}
	}
}

func FuzzNumberType(f *testing.F) {
	f.Add(1, "4255550100")
	f.Add(44, "7400123456")
	f.Add(39, "0612345678")
	f.Fuzz(func(t *testing.T, cc int, national string) {
		if cc < 1 || cc > 999 || len(national) > 17 {
			return
		}
		for _, c := range national {
			if c < '0' || c > '9' {
				return
			}
		}
		sameTypeAsLibrary(t, cc, national)
	})
}
