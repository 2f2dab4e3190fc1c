package phone

import (
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberType is phonenumbers.GetNumberType with the same rules and metadata, at a fraction of
// the cost: libphonenumber rebuilds each pattern string ("^(?:" + p + ")$"), looks it up in a
// mutex-guarded cache and matches it twice for every type it tries, and for country codes shared
// by several regions (+1, +7, +44) it classifies the number once to find the region and again for
// the type. Here each region's patterns are compiled once, matched once, and the region search's
// result is reused. TestNumberTypeMatchesLibrary and FuzzNumberType check it against
// GetNumberType.
func numberType(pn *phonenumbers.PhoneNumber) phonenumbers.PhoneNumberType {
	cc := int(pn.GetCountryCode())
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(regions) == 0 {
		return phonenumbers.UNKNOWN
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	if len(regions) == 1 {
		m := compiledFor(cc, regions[0])
		if m == nil {
			return phonenumbers.UNKNOWN
		}
		return m.classify(nsn)
	}
	for _, r := range regions {
		m := compiledFor(cc, r)
		if m == nil {
			continue
		}
		if m.leading != nil {
			if m.leading.MatchString(nsn) {
				return m.classify(nsn)
			}
			continue
		}
		if t := m.classify(nsn); t != phonenumbers.UNKNOWN {
			return t
		}
	}
	return phonenumbers.UNKNOWN
}

// desc is one number type's compiled description.
type desc struct {
	lengths []int32
	re      *regexp.Regexp // anchored; nil when the metadata has no pattern for the type
}

func compileDesc(d *phonenumbers.PhoneNumberDesc) desc {
	if d == nil {
		return desc{}
	}
	return desc{lengths: d.PossibleLength, re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

// match is libphonenumber's isNumberMatchingDesc: the length is possible and the pattern matches.
func (d desc) match(nsn string) bool {
	if d.re == nil {
		return false
	}
	if len(d.lengths) > 0 {
		ok := false
		for _, l := range d.lengths {
			if int32(len(nsn)) == l {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

// compiledMeta is one region's metadata, compiled.
type compiledMeta struct {
	leading                                                                   *regexp.Regexp
	general, premium, tollFree, shared, voip, personal, pager, uan, voicemail desc
	fixed, mobile                                                             desc
	sameMobileFixed                                                           bool
}

// classify is libphonenumber's getNumberTypeHelper.
func (m *compiledMeta) classify(nsn string) phonenumbers.PhoneNumberType {
	switch {
	case !m.general.match(nsn):
		return phonenumbers.UNKNOWN
	case m.premium.match(nsn):
		return phonenumbers.PREMIUM_RATE
	case m.tollFree.match(nsn):
		return phonenumbers.TOLL_FREE
	case m.shared.match(nsn):
		return phonenumbers.SHARED_COST
	case m.voip.match(nsn):
		return phonenumbers.VOIP
	case m.personal.match(nsn):
		return phonenumbers.PERSONAL_NUMBER
	case m.pager.match(nsn):
		return phonenumbers.PAGER
	case m.uan.match(nsn):
		return phonenumbers.UAN
	case m.voicemail.match(nsn):
		return phonenumbers.VOICEMAIL
	}
	if m.fixed.match(nsn) {
		if m.sameMobileFixed || m.mobile.match(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !m.sameMobileFixed && m.mobile.match(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

type metaKey struct {
	cc     int
	region string
}

var (
	metaByKey = sync.OnceValue(func() map[metaKey]*phonenumbers.PhoneMetadata {
		out := map[metaKey]*phonenumbers.PhoneMetadata{}
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			return out
		}
		for _, m := range coll.GetMetadata() {
			out[metaKey{int(m.GetCountryCode()), m.GetId()}] = m
		}
		return out
	})
	compiled sync.Map // metaKey → *compiledMeta
)

// compiledFor returns the compiled metadata of a region (or, for "001", of the non-geographic
// country code), compiling it on first use; nil when libphonenumber has none.
func compiledFor(cc int, region string) *compiledMeta {
	k := metaKey{cc, region}
	if v, ok := compiled.Load(k); ok {
		return v.(*compiledMeta)
	}
	m := metaByKey()[k]
	if m == nil {
		return nil
	}
	c := &compiledMeta{
		general: compileDesc(m.GetGeneralDesc()), premium: compileDesc(m.GetPremiumRate()),
		tollFree: compileDesc(m.GetTollFree()), shared: compileDesc(m.GetSharedCost()), voip: compileDesc(m.GetVoip()),
		personal: compileDesc(m.GetPersonalNumber()), pager: compileDesc(m.GetPager()), uan: compileDesc(m.GetUan()),
		voicemail: compileDesc(m.GetVoicemail()), fixed: compileDesc(m.GetFixedLine()), mobile: compileDesc(m.GetMobile()),
		sameMobileFixed: m.GetSameMobileAndFixedLinePattern(),
	}
	if ld := m.GetLeadingDigits(); ld != "" {
		c.leading = regexp.MustCompile("^(?:" + ld + ")")
	}
	v, _ := compiled.LoadOrStore(k, c)
	return v.(*compiledMeta)
}
