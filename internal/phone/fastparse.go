package phone

import (
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// fastParse builds the PhoneNumber of "+<digits>" without libphonenumber's Parse, which runs a
// dozen regular expressions (viability, extensions, national prefix) on every call and is half
// of Normalize's cost. It handles only the plain case and reports false for anything else, which
// then goes through phonenumbers.Parse:
//   - the country code is the first 1–3 digits that name one (as libphonenumber's extractCountryCode);
//   - the national number does not start with 0 (no leading-zero handling needed);
//   - the country's national prefix for parsing is empty or a plain digit string the national
//     number does not start with, so Parse would strip nothing.
//
// TestFastParseMatchesParse and FuzzFastParse check that the result equals Parse's.
func fastParse(digits []byte, pn *phonenumbers.PhoneNumber) bool {
	if len(digits) < 3 || digits[0] == '0' {
		return false
	}
	rules := prefixRules()
	for i := 1; i <= 3 && i < len(digits); i++ {
		cc, _ := strconv.Atoi(string(digits[:i]))
		rule, known := rules[cc]
		if !known {
			continue
		}
		nsn := digits[i:]
		if len(nsn) < 2 || len(nsn) > 17 || nsn[0] == '0' || !rule.plain ||
			(rule.prefix != "" && strings.HasPrefix(string(nsn), rule.prefix)) {
			return false
		}
		national, err := strconv.ParseUint(string(nsn), 10, 64)
		if err != nil {
			return false
		}
		pn.CountryCode = proto.Int32(int32(cc))
		pn.NationalNumber = proto.Uint64(national)
		return true
	}
	return false
}

// prefixRule is what Parse would strip after a country code: the national prefix for parsing of
// the code's main region. plain: it is empty or a literal digit string.
type prefixRule struct {
	prefix string
	plain  bool
}

// nationalRule is what Parse would do with a number written without + in a region: the
// region's country code, national prefix and international (IDD) prefix.
type nationalRule struct {
	cc          int
	ccDigits    string
	prefix, idd string
	plain       bool // prefix and idd are empty or literal digit strings
}

var nationalRules = sync.OnceValue(func() map[string]nationalRule {
	rules := map[string]nationalRule{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return rules
	}
	digitsOnly := func(p string) bool { return strings.Trim(p, "0123456789") == "" }
	for _, m := range coll.GetMetadata() {
		if m.GetId() == "001" {
			continue
		}
		cc := int(m.GetCountryCode())
		p, idd := m.GetNationalPrefixForParsing(), m.GetInternationalPrefix()
		rules[m.GetId()] = nationalRule{cc: cc, ccDigits: strconv.Itoa(cc), prefix: p, idd: idd,
			plain: digitsOnly(p) && digitsOnly(idd)}
	}
	return rules
})

// fastParseNational is fastParse for a number written without + in the default region: it
// applies when Parse would strip nothing (no national prefix, no international prefix, no
// leading country code) and reports false otherwise.
func fastParseNational(digits []byte, region string, pn *phonenumbers.PhoneNumber) bool {
	rule, ok := nationalRules()[region]
	if !ok || !rule.plain || len(digits) < 2 || len(digits) > 17 || digits[0] == '0' {
		return false
	}
	d := string(digits)
	if rule.prefix != "" && strings.HasPrefix(d, rule.prefix) || rule.idd != "" && strings.HasPrefix(d, rule.idd) ||
		strings.HasPrefix(d, rule.ccDigits) {
		return false
	}
	national, err := strconv.ParseUint(d, 10, 64)
	if err != nil {
		return false
	}
	pn.CountryCode = proto.Int32(int32(rule.cc))
	pn.NationalNumber = proto.Uint64(national)
	return true
}

var prefixRules = sync.OnceValue(func() map[int]prefixRule {
	rules := map[int]prefixRule{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return rules // every number takes the slow path
	}
	for _, m := range coll.GetMetadata() {
		cc := int(m.GetCountryCode())
		if main := phonenumbers.GetRegionCodeForCountryCode(cc); main != m.GetId() {
			continue // Parse reads the national prefix of the code's main region
		}
		p := m.GetNationalPrefixForParsing()
		rules[cc] = prefixRule{prefix: p, plain: strings.Trim(p, "0123456789") == ""}
	}
	return rules
})
