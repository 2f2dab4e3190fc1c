package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Type is what kind of line a number reaches, as libphonenumber's metadata tells it from the
// number alone. The zero value means "not known" (no valid number).
type Type int

// Types, in libphonenumber's order.
const (
	Mobile            Type = iota + 1
	FixedLine              // a landline
	FixedLineOrMobile      // the numbering plan does not tell (all of +1: US, Canada, ...)
	TollFree               // free for the caller, e.g. +1 800
	PremiumRate            // the caller pays a surcharge, e.g. +1 900, +44 9
	SharedCost             // the caller pays part of the cost, e.g. +44 845
	VoIP                   // a range set aside for voice over IP, e.g. +44 56
	PersonalNumber         // a follow-me number routed to a mobile or a landline, e.g. +44 70
	Pager
	UAN       // universal access number: a company's single number, e.g. +44 55
	Voicemail // reaches a voicemail box directly
	Unknown   // valid numbers are never of this type; kept for completeness
)

var typeNames = [...]string{
	Mobile:            "mobile",
	FixedLine:         "fixedLine",
	FixedLineOrMobile: "fixedLineOrMobile",
	TollFree:          "tollFree",
	PremiumRate:       "premiumRate",
	SharedCost:        "sharedCost",
	VoIP:              "voip",
	PersonalNumber:    "personalNumber",
	Pager:             "pager",
	UAN:               "uan",
	Voicemail:         "voicemail",
	Unknown:           "unknown",
}

// String returns the type's lowerCamel name ("fixedLineOrMobile"), the form stored and reported.
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ParseType is the inverse of Type.String (case-insensitive); 0 for an unknown name.
func ParseType(s string) Type {
	for t := Mobile; int(t) < len(typeNames); t++ {
		if strings.EqualFold(s, typeNames[t]) {
			return t
		}
	}
	return 0
}

// CanReceiveSMS reports whether a text message sent to a number of this type can be expected to
// reach a person's handset:
//   - Mobile: yes.
//   - FixedLineOrMobile: yes. The numbering plan cannot tell (all of +1); refusing would leave every
//     North American user without SMS. A landline simply never gets the code, and the user picks
//     another method.
//   - PersonalNumber: yes; such numbers follow their owner, usually to a mobile.
//   - VoIP: no. Many VoIP ranges do not take SMS and SMS providers often refuse them; voice works.
//   - FixedLine, TollFree, PremiumRate, SharedCost, UAN, Voicemail, Pager, Unknown: no.
func (t Type) CanReceiveSMS() bool {
	switch t {
	case Mobile, FixedLineOrMobile, PersonalNumber:
		return true
	}
	return false
}

// CanReceiveVoice reports whether a voice call reading a code to a number of this type can be
// expected to reach a person at an ordinary cost to the caller (this service):
//   - Mobile, FixedLine, FixedLineOrMobile, VoIP, TollFree: yes.
//   - PremiumRate, SharedCost, PersonalNumber, UAN: no. Calls to them carry a surcharge paid by
//     the caller; letting anyone make the service dial them is the classic toll-fraud
//     (revenue-share) hole, and they reach a service or a switchboard more often than a person.
//   - Pager: no speech. Voicemail: a mailbox, not a person. Unknown: no.
func (t Type) CanReceiveVoice() bool {
	switch t {
	case Mobile, FixedLine, FixedLineOrMobile, VoIP, TollFree:
		return true
	}
	return false
}

func typeOf(t phonenumbers.PhoneNumberType) Type {
	switch t {
	case phonenumbers.MOBILE:
		return Mobile
	case phonenumbers.FIXED_LINE:
		return FixedLine
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return FixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		return TollFree
	case phonenumbers.PREMIUM_RATE:
		return PremiumRate
	case phonenumbers.SHARED_COST:
		return SharedCost
	case phonenumbers.VOIP:
		return VoIP
	case phonenumbers.PERSONAL_NUMBER:
		return PersonalNumber
	case phonenumbers.PAGER:
		return Pager
	case phonenumbers.UAN:
		return UAN
	case phonenumbers.VOICEMAIL:
		return Voicemail
	}
	return Unknown
}

// Number is a valid phone number in the product's canonical form.
type Number struct {
	// Canonical is "+CC NATIONAL": a plus, the country calling code, one space, the national
	// significant number's digits, nothing else ("+1 4255551234"). The form the reference
	// document requires, the form stored and dialled.
	Canonical string
	// E164 is Canonical without the space ("+14255551234"), the form SMS and voice APIs take.
	E164 string
	// CountryCode is the country calling code (1, 44, 49, ...).
	CountryCode int
	// National is the national significant number (Canonical after the space), without trunk
	// prefix: "2079460958" for London, not "02079460958". Italian numbers keep their leading 0.
	National string
	// Type is the kind of line libphonenumber's metadata tells from the number.
	Type Type
	// Extension holds the extension's digits stripped from the value ("12345" for
	// "+1 4255551234X12345"), or "". It is never dialled: the reference document says extensions
	// are removed before the call is placed.
	Extension string
}

// Region returns the ISO 3166 region the number belongs to ("US", "CA", "GB"), or "001" for a
// non-geographic number (+800, +882, ...). It is computed on demand: for country codes shared by
// several regions (+1, +7, +44) it costs as much as Normalize itself, and a sync does not need it.
func (n Number) Region() string {
	if rs := phonenumbers.GetRegionCodesForCountryCode(n.CountryCode); len(rs) == 1 {
		return rs[0]
	}
	pn, err := phonenumbers.Parse(n.E164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(pn)
}

const (
	// MaxLength is the most characters (runes) a value may have once surrounding white space is
	// removed. The longest sensible value, "tel:+44-20-7946-0958;ext=12345;phone-context=+44" or
	// "+44 (0)20 7946 0958 extension 12345", is well under it.
	MaxLength = 64
	// MaxBytes guards the rest: a value of more bytes is refused as TooLong before it is read.
	MaxBytes = 1024
)

// Normalizer turns phone values as people write them into Numbers. It holds no mutable state: one
// Normalizer may be used by any number of goroutines. The zero value has no default region.
type Normalizer struct {
	region string // "" or an upper-case region code libphonenumber knows
}

// NewNormalizer returns a Normalizer. defaultRegion is the ISO 3166 region ("US", "gb": case does
// not matter) assumed for numbers written without a leading +; "" accepts only numbers that start
// with +. A region libphonenumber does not know is an error wrapping ErrUnknownRegion.
func NewNormalizer(defaultRegion string) (*Normalizer, error) {
	r := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if r != "" && !ValidRegion(r) {
		return nil, fmt.Errorf("phone: default region %q: %w", defaultRegion, ErrUnknownRegion)
	}
	return &Normalizer{region: r}, nil
}

// DefaultRegion returns the normalizer's default region, upper case, or "".
func (n *Normalizer) DefaultRegion() string { return n.region }

// CountryCodeForRegion returns the country calling code of a region ("GB" → 44), or 1 for an
// empty or unknown region.
func CountryCodeForRegion(region string) int {
	if cc := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)); cc != 0 {
		return cc
	}
	return 1
}

// ValidRegion reports whether code (case-insensitive) is a region code libphonenumber has
// metadata for, such as "US" or "gb". The non-geographic "001" is not a region.
func ValidRegion(code string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(code)]
}

// Normalize reads one phone value and returns it in canonical form, or an *Error saying why it
// cannot be used. What it accepts:
//
//   - digits, ASCII or any Unicode decimal digits (full-width １２３, Arabic-Indic ١٢٣, ...);
//   - a single + before the first digit (full-width ＋ too), as in "+1 4255551234" or
//     "(+44) 20 7946 0958";
//   - separators anywhere among the digits: white space (no-break spaces included), invisible
//     formatting characters, ( ) [ ] - . / ~ and the Unicode dashes; a trunk prefix written
//     "(0)" after the country code ("+44 (0)20 7946 0958") is dropped where the country uses one;
//   - after the number, one extension: x, ext, ext., ext:, ext=, extn, extn., extension, #, ;ext=
//     (any case) then digits, or commas immediately followed by digits ("+14255551234,,123"); the
//     extension is stripped into Number.Extension;
//   - a tel: URI (RFC 3966, any case): ";ext=" becomes the extension, a global ";phone-context="
//     completes a local number, other parameters are ignored;
//   - without a leading +, with a default region: the national form ("(425) 555-1234" for US,
//     "020 7946 0958" for GB) and the region's international prefix ("0044 20 7946 0958" from GB,
//     "011 44 ..." from US).
//
// Anything else, letters included ("+1 4255551234 please call"), is InvalidCharacters. The number
// must then be valid for its country according to libphonenumber (InvalidNumber otherwise).
func (n *Normalizer) Normalize(raw string) (Number, error) {
	if len(raw) > MaxBytes {
		return Number{}, newError(raw, TooLong, fmt.Sprintf("%d bytes; at most %d characters are accepted", len(raw), MaxLength))
	}
	if !utf8.ValidString(raw) {
		return Number{}, newError(raw, InvalidUTF8, "")
	}
	s := strings.TrimFunc(raw, isBlank)
	if s == "" {
		if raw == "" {
			return Number{}, newError(raw, Empty, "the value is empty")
		}
		return Number{}, newError(raw, Empty, "the value is only white space")
	}
	if c := utf8.RuneCountInString(s); c > MaxLength {
		return Number{}, newError(raw, TooLong, fmt.Sprintf("%d characters; at most %d are accepted", c, MaxLength))
	}

	var sc scanner
	if detail := sc.scan(s); detail != "" {
		return Number{}, newError(raw, InvalidCharacters, detail)
	}
	if len(sc.digits) == 0 {
		return Number{}, newError(raw, NotANumber, "no digits")
	}
	if !sc.plus && n.region == "" {
		return Number{}, newError(raw, NoCountryCode, "write it as +CC NUMBER or set phone.defaultRegion")
	}

	var in [MaxLength + 1]byte
	p := in[:0]
	if sc.plus {
		p = append(p, '+')
	}
	p = append(p, sc.digits...)
	var pn phonenumbers.PhoneNumber
	fast := sc.plus && fastParse(sc.digits, &pn) || !sc.plus && fastParseNational(sc.digits, n.region, &pn)
	if !fast {
		if err := phonenumbers.ParseToNumber(string(p), n.region, &pn); err != nil {
			return Number{}, parseError(raw, sc.plus, err)
		}
	}
	cc := int(pn.GetCountryCode())
	// The type is UNKNOWN exactly when IsValidNumber is false (both look up the region the same
	// way, then match the same metadata), so one call does both (numbertype.go).
	typ := numberType(&pn)
	if typ == phonenumbers.UNKNOWN {
		return Number{}, newError(raw, InvalidNumber, invalidDetail(&pn, cc))
	}

	nsn := phonenumbers.GetNationalSignificantNumber(&pn)
	b := make([]byte, 0, 5+len(nsn))
	b = append(b, '+')
	b = strconv.AppendInt(b, int64(cc), 10)
	space := len(b)
	b = append(b, ' ')
	b = append(b, nsn...)
	canonical := string(b)
	num := Number{
		Canonical:   canonical,
		E164:        canonical[:space] + canonical[space+1:],
		CountryCode: cc,
		National:    canonical[space+1:],
		Type:        typeOf(typ),
	}
	if len(sc.ext) > 0 {
		num.Extension = string(sc.ext)
	}
	return num, nil
}

// parseError turns libphonenumber's parse errors into an *Error.
func parseError(raw string, plus bool, err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		if plus {
			return newError(raw, UnknownCountryCode, "the digits after + do not start with a country calling code in use")
		}
		return newError(raw, UnknownCountryCode, "the digits after the international prefix do not start with a country calling code in use")
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return newError(raw, NotANumber, "too few digits")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return newError(raw, NotANumber, "too many digits")
	case errors.Is(err, phonenumbers.ErrNotANumber):
		return newError(raw, NotANumber, "")
	}
	return newError(raw, NotANumber, err.Error())
}

// invalidDetail says why a parsed number is not valid, without repeating its digits.
func invalidDetail(pn *phonenumbers.PhoneNumber, cc int) string {
	where := "+" + strconv.Itoa(cc)
	if rs := phonenumbers.GetRegionCodesForCountryCode(cc); len(rs) == 1 && rs[0] != "001" {
		where += " (" + rs[0] + ")"
	}
	switch phonenumbers.IsPossibleNumberWithReason(pn) {
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "too few digits for country code " + where
	case phonenumbers.TOO_LONG:
		return "too many digits for country code " + where
	case phonenumbers.INVALID_LENGTH:
		return "no number of country code " + where + " has that many digits"
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "unknown country code " + where
	}
	return "not in a range of numbers in use for country code " + where
}

// scanner splits a trimmed value into its digits, its leading plus and its extension.
type scanner struct {
	plus   bool
	digits []byte
	ext    []byte
	buf    [2 * MaxLength]byte // backs digits and ext: a value has at most MaxLength digits in all
}

// scan fills sc from s; it returns "" or why s holds an invalid character.
func (sc *scanner) scan(s string) string {
	sc.digits = sc.buf[:0:MaxLength]
	sc.ext = sc.buf[MaxLength:MaxLength]
	if len(s) < 4 || !strings.EqualFold(s[:4], "tel:") {
		return sc.number(s)
	}
	num, params, _ := strings.Cut(s[4:], ";")
	if d := sc.number(strings.TrimFunc(num, isBlank)); d != "" {
		return d
	}
	var context []byte
	for params != "" {
		var param string
		param, params, _ = strings.Cut(params, ";")
		key, val, _ := strings.Cut(param, "=")
		switch strings.ToLower(strings.TrimFunc(key, isBlank)) {
		case "ext":
			if len(sc.ext) > 0 {
				return "two extensions"
			}
			for _, r := range val {
				if d, ok := digitValue(fold(r)); ok {
					sc.ext = append(sc.ext, d)
				} else if !isVisualSeparator(r) {
					return badChar(r)
				}
			}
			if len(sc.ext) == 0 {
				return "an extension marker without digits"
			}
		case "phone-context":
			// RFC 3966: a local number's context is either +digits (a prefix completing it)
			// or a domain name, which says nothing usable here.
			val = strings.TrimFunc(val, isBlank)
			if !strings.HasPrefix(val, "+") {
				break
			}
			context = context[:0]
			for _, r := range val[1:] {
				if d, ok := digitValue(fold(r)); ok {
					context = append(context, d)
				} else if !isVisualSeparator(r) {
					return badChar(r)
				}
			}
		}
	}
	if len(context) > 0 && !sc.plus {
		all := make([]byte, 0, len(context)+len(sc.digits))
		all = append(all, context...)
		sc.digits = append(all, sc.digits...)
		sc.plus = true
	}
	return ""
}

// number reads the main part: digits, separators, a leading plus, then maybe an extension.
func (sc *scanner) number(s string) string {
	for i, r := range s {
		f := fold(r)
		if d, ok := digitValue(f); ok {
			sc.digits = append(sc.digits, d)
			continue
		}
		switch {
		case f == '+':
			if sc.plus || len(sc.digits) > 0 {
				return "'+' may appear only once, before the first digit"
			}
			sc.plus = true
		case isSeparator(f):
		case len(sc.digits) > 0:
			return sc.extension(s[i:])
		default:
			return badChar(r)
		}
	}
	return ""
}

// extensionMarkers in the order they are tried: longest first. Lower case; input is folded.
var extensionMarkers = [...]string{";ext=", "extension", "extn.", "extn", "ext.", "ext:", "ext=", "ext", "x", "#"}

// extension reads s, the rest of a value after the main number: a marker, then digits.
func (sc *scanner) extension(s string) string {
	rest, ok := "", false
	if s[0] == ',' {
		// Dial pauses, as in "+14255551234,,123": digits must follow at once, so that a list of
		// numbers ("4255551234, 4255559876") is not taken for a number and an extension.
		rest, ok = strings.TrimLeft(s, ","), true
		if rest == "" || !isDigitRune(rest) {
			return badChar(',')
		}
	} else {
		for _, m := range extensionMarkers {
			if n := foldPrefix(s, m); n > 0 {
				rest, ok = strings.TrimLeftFunc(s[n:], isBlank), true
				break
			}
		}
	}
	if !ok {
		r, _ := utf8.DecodeRuneInString(s)
		return badChar(r)
	}
	for i, r := range rest {
		if d, ok := digitValue(fold(r)); ok {
			sc.ext = append(sc.ext, d)
			continue
		}
		if isBlank(r) && strings.TrimFunc(rest[i:], isBlank) == "" {
			break
		}
		return badChar(r)
	}
	if len(sc.ext) == 0 {
		return "an extension marker without digits"
	}
	return ""
}

func badChar(r rune) string {
	return fmt.Sprintf("%q; a phone number holds only digits, a leading +, spaces, ( ) - . / and an extension such as x123", r)
}

// foldPrefix returns how many bytes of s match marker (lower-case ASCII), ignoring case and
// full-width forms, or 0.
func foldPrefix(s, marker string) int {
	j := 0
	for i, r := range s {
		if j == len(marker) {
			return i
		}
		f := fold(r)
		if 'A' <= f && f <= 'Z' {
			f += 'a' - 'A'
		}
		if f != rune(marker[j]) {
			return 0
		}
		j++
	}
	if j == len(marker) {
		return len(s)
	}
	return 0
}

// fold maps the full-width forms of ASCII (U+FF01..U+FF5E: ＋ （ ） ０ ｘ ...) to ASCII.
func fold(r rune) rune {
	if 0xFF01 <= r && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

func isDigitRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	_, ok := digitValue(fold(r))
	return ok
}

// digitValue returns the ASCII digit for any Unicode decimal digit (category Nd). Unicode encodes
// every Nd digit in runs of ten from 0 to 9, and the unicode.Nd table's ranges are made of whole
// runs (TestDigitTable checks), so the value is the offset in the range modulo 10.
func digitValue(r rune) (byte, bool) {
	if '0' <= r && r <= '9' {
		return byte(r), true
	}
	if r < 0x660 || !unicode.IsDigit(r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return '0' + byte((r-rune(rg.Lo))%10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return '0' + byte((r-rune(rg.Lo))%10), true
		}
	}
	return 0, false
}

// isBlank: white space (no-break spaces included) and invisible formatting characters (zero-width
// space, word joiner, soft hyphen, byte-order mark, direction marks).
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || (r > 0x7F && unicode.Is(unicode.Cf, r))
}

// isVisualSeparator is RFC 3966's visual-separator.
func isVisualSeparator(r rune) bool {
	return r == '-' || r == '.' || r == '(' || r == ')'
}

// isSeparator: what may stand between digits (after fold).
func isSeparator(r rune) bool {
	switch r {
	case '-', '.', '/', '(', ')', '[', ']', '~',
		'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', // hyphen .. horizontal bar
		'\u2212',           // minus sign
		'\u30FC',           // katakana prolonged sound mark, written as a dash in Japan
		'\u2053', '\u223C': // swung dash, tilde operator
		return true
	}
	return isBlank(r)
}
