package phone

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

func mustNormalizer(t testing.TB, region string) *Normalizer {
	t.Helper()
	n, err := NewNormalizer(region)
	if err != nil {
		t.Fatalf("NewNormalizer(%q): %v", region, err)
	}
	return n
}

// us is the number of the reference document, checked valid by libphonenumber's metadata
// (425 is a Washington area code; 555-1234 is not in the reserved fictional 555-01xx block).
var us = Number{Canonical: "+1 4255551234", E164: "+14255551234", CountryCode: 1, National: "4255551234", Type: FixedLineOrMobile}

func withExt(n Number, ext string) Number { n.Extension = ext; return n }

var (
	gbFixed  = Number{Canonical: "+44 2079460958", E164: "+442079460958", CountryCode: 44, National: "2079460958", Type: FixedLine}
	gbMobile = Number{Canonical: "+44 7400123456", E164: "+447400123456", CountryCode: 44, National: "7400123456", Type: Mobile}
	deFixed  = Number{Canonical: "+49 30123456", E164: "+4930123456", CountryCode: 49, National: "30123456", Type: FixedLine}
	deMobile = Number{Canonical: "+49 15123456789", E164: "+4915123456789", CountryCode: 49, National: "15123456789", Type: Mobile}
)

func TestNormalizeValid(t *testing.T) {
	tests := []struct {
		region string
		in     string
		want   Number
	}{
		// The reference document's form and the usual ways of writing it.
		{"", "+1 4255551234", us},
		{"", "+1 (425) 555-1234", us},
		{"", "+14255551234", us},
		{"", "+1-425-555-1234", us},
		{"", "+1.425.555.1234", us},
		{"", "+1 425/555 1234", us},
		{"", "(+1) 425 555 1234", us},
		{"", "+1 [425] 555~1234", us},
		{"", "+1 425–555—1234", us},           // en and em dashes
		{"", "+1 425\u2212555\u20101234", us}, // minus sign, hyphen
		{"", "  +1 4255551234\t\r\n", us},
		{"", "\u00a0+1\u00a0425\u00a0555\u00a01234\u00a0", us},      // no-break spaces
		{"", "+1\u202f425\u2009555\u20071234", us},                  // narrow, thin, figure spaces
		{"", "\u200e+1 425 555 1234\u200f", us},                     // direction marks
		{"", "\ufeff+1\u200b425\u2060555\u00ad1234", us},            // BOM, zero-width space, word joiner, soft hyphen
		{"", "\u3000+1\u3000425\u3000555\u30001234", us},            // ideographic spaces
		{"", strings.Repeat(" ", 100) + "+14255551234" + "   ", us}, // white space does not count towards MaxLength
		{"", "+1 " + strings.Repeat(" ", 51) + "4255551234", us},    // exactly MaxLength characters

		// Extensions are stripped, kept apart.
		{"", "+1 4255551234X12345", withExt(us, "12345")},
		{"", "+1 4255551234x12345", withExt(us, "12345")},
		{"", "+1 4255551234 x12345", withExt(us, "12345")},
		{"", "+1 4255551234 x 12345", withExt(us, "12345")},
		{"", "+1 4255551234 ext. 123", withExt(us, "123")},
		{"", "+1 4255551234 ext 123", withExt(us, "123")},
		{"", "+1 4255551234 EXT:123", withExt(us, "123")},
		{"", "+1 4255551234 Extn. 123", withExt(us, "123")},
		{"", "+1 4255551234;ext=123", withExt(us, "123")},
		{"", "+1 4255551234#123", withExt(us, "123")},
		{"", "+1 4255551234 # 123", withExt(us, "123")},
		{"", "+1 4255551234 extension 12", withExt(us, "12")},
		{"", "+1 4255551234 Extension 12 ", withExt(us, "12")},
		{"", "+14255551234,,123", withExt(us, "123")},
		{"", "+14255551234,123", withExt(us, "123")},
		{"", "+1 (425) 555-1234 ｘ１２３", withExt(us, "123")},
		{"", "+1 425 555 1234 ext ١٢", withExt(us, "12")},

		// Digits of other scripts, full-width forms.
		{"", "＋１ ４２５５５５１２３４", us},
		{"", "＋１（４２５）５５５－１２３４", us},
		{"", "+١ ٤٢٥٥٥٥١٢٣٤", us},   // Arabic-Indic
		{"", "+۱ ۴۲۵۵۵۵۱۲۳۴", us},   // Extended Arabic-Indic (Persian)
		{"", "+१ ४२५५५५१२३४", us},   // Devanagari
		{"", "+1 𝟒𝟐𝟓 555 1234", us}, // mathematical bold digits
		{"US", "（４２５）５５５－１２３４", us},

		// tel: URIs (RFC 3966).
		{"", "tel:+1-425-555-1234", us},
		{"", "tel:+1-425-555-1234;ext=99", withExt(us, "99")},
		{"", "TEL:+14255551234", us},
		{"", "Tel:+1.425.555.1234;isub=1234;foo=bar", us},
		{"", "tel:425-555-1234;phone-context=+1", us},
		{"", "tel:555-1234;phone-context=+1-425", us},
		{"US", "tel:425-555-1234;phone-context=example.com", us},
		{"", "tel:+1-425-555-1234;phone-context=+44", us}, // a global number ignores its context

		// A trunk prefix written inside the international form.
		{"", "+44 (0)20 7946 0958", gbFixed},
		{"", "+44 (0) 20 7946 0958", gbFixed},
		{"", "+44 020 7946 0958", gbFixed},
		{"", "+49 (0)30 123456", deFixed},
		{"", "+49 (0)30/123456", deFixed},
		// Italy has no trunk prefix: its leading 0 belongs to the number and stays.
		{"", "+39 06 12345678", Number{Canonical: "+39 0612345678", E164: "+390612345678", CountryCode: 39, National: "0612345678", Type: FixedLine}},
		{"", "+39 (0)6 12345678", Number{Canonical: "+39 0612345678", E164: "+390612345678", CountryCode: 39, National: "0612345678", Type: FixedLine}},

		// National forms and international prefixes need the default region.
		{"US", "(425) 555-1234", us},
		{"US", "425.555.1234", us},
		{"US", "1 (425) 555-1234", us},
		{"us", "4255551234", us},
		{"US", "4255551234 x12", withExt(us, "12")},
		{"GB", "020 7946 0958", gbFixed},
		{"GB", "07400 123456", gbMobile},
		{"GB", "0044 20 7946 0958", gbFixed},
		{"US", "011 44 20 7946 0958", gbFixed},
		{"DE", "030 123456", deFixed},
		{"DE", "0151 23456789", deMobile},
		{"FR", "00 49 151 23456789", deMobile},
		{"US", "+44 20 7946 0958", gbFixed}, // a + wins over the default region

		// Types from libphonenumber's metadata.
		{"", "+44 7400 123456", gbMobile},
		{"", "+44 20 7946 0958", gbFixed},
		{"", "+49 151 23456789", deMobile},
		{"", "+49 30 123456", deFixed},
		{"", "+33 6 12 34 56 78", Number{Canonical: "+33 612345678", E164: "+33612345678", CountryCode: 33, National: "612345678", Type: Mobile}},
		{"", "+1 800 234 5678", Number{Canonical: "+1 8002345678", E164: "+18002345678", CountryCode: 1, National: "8002345678", Type: TollFree}},
		{"", "+1 900 234 5678", Number{Canonical: "+1 9002345678", E164: "+19002345678", CountryCode: 1, National: "9002345678", Type: PremiumRate}},
		{"", "+1 500 234 5678", Number{Canonical: "+1 5002345678", E164: "+15002345678", CountryCode: 1, National: "5002345678", Type: PersonalNumber}},
		{"", "+49 180 12345", Number{Canonical: "+49 18012345", E164: "+4918012345", CountryCode: 49, National: "18012345", Type: SharedCost}},
		{"", "+44 56 1234 5678", Number{Canonical: "+44 5612345678", E164: "+445612345678", CountryCode: 44, National: "5612345678", Type: VoIP}},
		{"", "+44 70 1234 5678", Number{Canonical: "+44 7012345678", E164: "+447012345678", CountryCode: 44, National: "7012345678", Type: PersonalNumber}},
		{"", "+44 7640 123456", Number{Canonical: "+44 7640123456", E164: "+447640123456", CountryCode: 44, National: "7640123456", Type: Pager}},
		{"", "+44 55 1234 5678", Number{Canonical: "+44 5512345678", E164: "+445512345678", CountryCode: 44, National: "5512345678", Type: UAN}},
		{"", "+49 177 991234567", Number{Canonical: "+49 177991234567", E164: "+49177991234567", CountryCode: 49, National: "177991234567", Type: Voicemail}},
		{"", "+1 613 555 0123", Number{Canonical: "+1 6135550123", E164: "+16135550123", CountryCode: 1, National: "6135550123", Type: FixedLineOrMobile}},
		{"", "+800 1234 5678", Number{Canonical: "+800 12345678", E164: "+80012345678", CountryCode: 800, National: "12345678", Type: TollFree}},
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.in, func(t *testing.T) {
			n := mustNormalizer(t, tt.region)
			got, err := n.Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			// The canonical form reads back as itself, without any default region.
			again, err := (&Normalizer{}).Normalize(got.Canonical)
			if err != nil {
				t.Fatalf("Normalize(Canonical %q) error: %v", got.Canonical, err)
			}
			if want := withExt(got, ""); again != want {
				t.Fatalf("Normalize(Canonical %q)\n got %+v\nwant %+v", got.Canonical, again, want)
			}
		})
	}
}

func TestNormalizeInvalid(t *testing.T) {
	tests := []struct {
		region string
		in     string
		want   Reason
	}{
		{"", "", Empty},
		{"", "   ", Empty},
		{"US", "\t\u00a0\u200b\u3000", Empty},
		{"", strings.Repeat("1", 10*1024), TooLong},
		{"", "+" + strings.Repeat("1", MaxBytes), TooLong},
		{"", "+1 " + strings.Repeat(" ", 52) + "4255551234", TooLong}, // MaxLength+1 characters
		{"", "+1 4255551234 " + strings.Repeat("x", 60), TooLong},
		{"", "\xff\xfe", InvalidUTF8},
		{"", "+1 425\xff5551234", InvalidUTF8},
		{"", "abc", InvalidCharacters},
		{"US", "abc", InvalidCharacters},
		{"", "+1 4255551234 please call", InvalidCharacters},
		{"", "+1 (425) 555-1234 (mobile)", InvalidCharacters},
		{"US", "1-800-FLOWERS", InvalidCharacters},
		{"", "+1 4255551234 x", InvalidCharacters},    // marker without digits
		{"", "+1 4255551234 ext.", InvalidCharacters}, // marker without digits
		{"", "+1 4255551234#", InvalidCharacters},
		{"", "+1 4255551234 x12a", InvalidCharacters},
		{"", "+1 4255551234 x12 34", InvalidCharacters},
		{"", "+1 4255551234 xx12", InvalidCharacters},
		{"US", "4255551234, 4255559876", InvalidCharacters}, // a list, not an extension
		{"US", "4255551234 / 4255559876 or 4255550000", InvalidCharacters},
		{"", "+14255551234,", InvalidCharacters},
		{"", "+1 425+5551234", InvalidCharacters},
		{"", "++1 4255551234", InvalidCharacters},
		{"", "x123", InvalidCharacters},
		{"", "+1 ¹²³ 5551234", InvalidCharacters}, // superscripts are not decimal digits
		{"", "+1 4255551234\x00", InvalidCharacters},
		{"", "tel:+1-425-555-1234;ext=99;ext=98", InvalidCharacters},
		{"", "tel:+1-425-555-1234x1;ext=99", InvalidCharacters},
		{"", "tel:+1-425-555-1234;ext=", InvalidCharacters},
		{"", "tel:+1-425-555-1234;ext=9a", InvalidCharacters},
		{"", "tel:%2B14255551234", InvalidCharacters},
		{"", "sip:+14255551234@example.com", InvalidCharacters},
		{"", "4255551234", NoCountryCode},
		{"", "(425) 555-1234", NoCountryCode},
		{"", "0044 20 7946 0958", NoCountryCode},
		{"", "12", NoCountryCode},
		{"", "tel:425-555-1234", NoCountryCode},
		{"", "tel:425-555-1234;phone-context=example.com", NoCountryCode},
		{"", "+999 1234567", UnknownCountryCode},
		{"", "+0 123456789", UnknownCountryCode},
		{"GB", "00 999 1234567", UnknownCountryCode},
		{"", "+", NotANumber},
		{"", "()", NotANumber},
		{"", "+ - .", NotANumber},
		{"", "tel:", NotANumber},
		{"", "+1", NotANumber},
		{"", "+1 5", NotANumber},
		{"", "+1 4255551234\n+1 4255559876", InvalidCharacters},
		{"", "+1 4255551234 4255559876", NotANumber}, // too many digits
		{"", "+1 555", InvalidNumber},
		{"US", "12", InvalidNumber},
		{"", "+1 425555123", InvalidNumber},    // 9 digits
		{"", "+1 42555512345", InvalidNumber},  // 11 digits
		{"", "+1 0255551234", InvalidNumber},   // no area code starts with 0
		{"", "+44 7700 900123", InvalidNumber}, // Ofcom's range for drama, never assigned
		{"", "+49 1", NotANumber},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(tt.region+" "+name, func(t *testing.T) {
			n := mustNormalizer(t, tt.region)
			got, err := n.Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %+v, want error %v", tt.in, got, tt.want)
			}
			if got != (Number{}) {
				t.Errorf("Normalize(%q) returned %+v with its error", tt.in, got)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Normalize(%q) error %T is not *Error", tt.in, err)
			}
			if pe.Reason != tt.want {
				t.Fatalf("Normalize(%q) reason %v (%v), want %v", tt.in, pe.Reason, err, tt.want)
			}
			if pe.Value != tt.in {
				t.Errorf("Error.Value = %q, want the raw value", pe.Value)
			}
			msg := err.Error()
			if !utf8.ValidString(msg) || len(msg) > 400 {
				t.Errorf("Error() = %q: want short valid UTF-8", msg)
			}
			red := pe.Redacted()
			if strings.Contains(red, "555") {
				t.Errorf("Redacted() = %q shows hidden digits", red)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		region, in     string
		want, redacted string
	}{
		{"", "4255551234",
			`"4255551234": no country code: write it as +CC NUMBER or set phone.defaultRegion`,
			`"••••••1234": no country code: write it as +CC NUMBER or set phone.defaultRegion`},
		{"", "",
			`"": no phone number: the value is empty`,
			`"•••": no phone number: the value is empty`},
		{"", "\u00a0",
			`"\u00a0": no phone number: the value is only white space`,
			`"•••": no phone number: the value is only white space`},
		{"", "+1 4255551234 please call",
			`"+1 4255551234 please call": invalid character: 'p'; a phone number holds only digits, a leading +, spaces, ( ) - . / and an extension such as x123`,
			`"•••••••1234": invalid character: 'p'; a phone number holds only digits, a leading +, spaces, ( ) - . / and an extension such as x123`},
		{"", "+999 1234567",
			`"+999 1234567": unknown country code: the digits after + do not start with a country calling code in use`,
			`"••••••4567": unknown country code: the digits after + do not start with a country calling code in use`},
		{"", "+1 555",
			`"+1 555": not a valid phone number: too few digits for country code +1`,
			`"••55": not a valid phone number: too few digits for country code +1`},
		{"", "+44 7700 900123",
			`"+44 7700 900123": not a valid phone number: not in a range of numbers in use for country code +44`,
			`"••••••••0123": not a valid phone number: not in a range of numbers in use for country code +44`},
		{"", "+33 12345",
			`"+33 12345": not a valid phone number: too few digits for country code +33 (FR)`,
			`"••••345": not a valid phone number: too few digits for country code +33 (FR)`},
		{"", "\xff\xfe",
			`"\xff\xfe": not valid UTF-8 text`,
			`"•••": not valid UTF-8 text`},
		{"", strings.Repeat("1", 2000),
			`"` + strings.Repeat("1", MaxLength) + `"…: too long to be a phone number: 2000 bytes; at most 64 characters are accepted`,
			`"` + strings.Repeat("•", MaxLength) + `1111": too long to be a phone number: 2000 bytes; at most 64 characters are accepted`},
		{"", "+1 4255551234 x",
			`"+1 4255551234 x": invalid character: an extension marker without digits`,
			`"•••••••1234": invalid character: an extension marker without digits`},
	}
	for _, tt := range tests {
		_, err := mustNormalizer(t, tt.region).Normalize(tt.in)
		if err == nil {
			t.Fatalf("Normalize(%q): no error", tt.in)
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Normalize(%q).Error()\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if got := err.(*Error).Redacted(); got != tt.redacted {
			t.Errorf("Normalize(%q).Redacted()\n got %s\nwant %s", tt.in, got, tt.redacted)
		}
	}
}

func TestReasonOf(t *testing.T) {
	_, err := (&Normalizer{}).Normalize("4255551234")
	wrapped := fmt.Errorf("user alice: mobilePhone: %w", err)
	if got := ReasonOf(wrapped); got != NoCountryCode {
		t.Errorf("ReasonOf(wrapped) = %v, want %v", got, NoCountryCode)
	}
	var pe *Error
	if !errors.As(wrapped, &pe) || pe.Value != "4255551234" {
		t.Errorf("errors.As(wrapped) = %v, %+v", errors.As(wrapped, &pe), pe)
	}
	if got := ReasonOf(errors.New("other")); got != 0 {
		t.Errorf("ReasonOf(other) = %v, want 0", got)
	}
	if got := ReasonOf(nil); got != 0 {
		t.Errorf("ReasonOf(nil) = %v, want 0", got)
	}
}

func TestNewNormalizer(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"US", "US", true},
		{"us", "US", true},
		{" gb ", "GB", true},
		{"De", "DE", true},
		{"XX", "", false},
		{"ZZ", "", false},
		{"001", "", false},
		{"USA", "", false},
		{"u", "", false},
	}
	for _, tt := range tests {
		n, err := NewNormalizer(tt.in)
		if !tt.ok {
			if !errors.Is(err, ErrUnknownRegion) {
				t.Errorf("NewNormalizer(%q) error = %v, want ErrUnknownRegion", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewNormalizer(%q): %v", tt.in, err)
			continue
		}
		if n.DefaultRegion() != tt.want {
			t.Errorf("NewNormalizer(%q).DefaultRegion() = %q, want %q", tt.in, n.DefaultRegion(), tt.want)
		}
	}
	for code, want := range map[string]bool{"US": true, "us": true, "GB": true, "CA": true, "XX": false, "": false, "001": false, "ZZ": false} {
		if got := ValidRegion(code); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestTypeNames(t *testing.T) {
	want := []string{"mobile", "fixedLine", "fixedLineOrMobile", "tollFree", "premiumRate", "sharedCost",
		"voip", "personalNumber", "pager", "uan", "voicemail", "unknown"}
	for i, name := range want {
		typ := Type(i + 1)
		if typ.String() != name {
			t.Errorf("Type(%d).String() = %q, want %q", i+1, typ.String(), name)
		}
		if got := ParseType(name); got != typ {
			t.Errorf("ParseType(%q) = %v, want %v", name, got, typ)
		}
	}
	if Mobile != 1 || Unknown != 12 {
		t.Errorf("Mobile = %d, Unknown = %d: enum must start at iota+1", Mobile, Unknown)
	}
	if got := ParseType("FixedLine"); got != FixedLine {
		t.Errorf("ParseType(FixedLine) = %v", got)
	}
	for _, s := range []string{"", "mobil", "Type(1)", "fixed line"} {
		if got := ParseType(s); got != 0 {
			t.Errorf("ParseType(%q) = %v, want 0", s, got)
		}
	}
	if got := Type(0).String(); got != "Type(0)" {
		t.Errorf("Type(0).String() = %q", got)
	}
	if got := Type(99).String(); got != "Type(99)" {
		t.Errorf("Type(99).String() = %q", got)
	}
}

func TestReasonNames(t *testing.T) {
	want := map[Reason]string{Empty: "empty", TooLong: "tooLong", InvalidCharacters: "invalidCharacters",
		NoCountryCode: "noCountryCode", NotANumber: "notANumber", InvalidNumber: "invalidNumber",
		InvalidUTF8: "invalidUTF8", UnknownCountryCode: "unknownCountryCode"}
	if Empty != 1 {
		t.Errorf("Empty = %d: enum must start at iota+1", Empty)
	}
	for r, name := range want {
		if r.String() != name {
			t.Errorf("Reason(%d).String() = %q, want %q", r, r.String(), name)
		}
		if ParseReason(name) != r {
			t.Errorf("ParseReason(%q) = %v, want %v", name, ParseReason(name), r)
		}
	}
	if len(want) != len(reasonNames)-1 || len(reasonPhrases) != len(reasonNames) {
		t.Errorf("reason tables out of step: %d names, %d phrases, %d tested", len(reasonNames), len(reasonPhrases), len(want))
	}
	if ParseReason("nope") != 0 || Reason(0).String() != "Reason(0)" {
		t.Errorf("unknown reasons: %v, %q", ParseReason("nope"), Reason(0).String())
	}
}

func TestCanReceive(t *testing.T) {
	tests := []struct {
		typ        Type
		sms, voice bool
	}{
		{0, false, false},
		{Mobile, true, true},
		{FixedLine, false, true},
		{FixedLineOrMobile, true, true},
		{TollFree, false, true},
		{PremiumRate, false, false},
		{SharedCost, false, false},
		{VoIP, false, true},
		{PersonalNumber, true, false},
		{Pager, false, false},
		{UAN, false, false},
		{Voicemail, false, false},
		{Unknown, false, false},
	}
	for _, tt := range tests {
		if got := tt.typ.CanReceiveSMS(); got != tt.sms {
			t.Errorf("%v.CanReceiveSMS() = %v, want %v", tt.typ, got, tt.sms)
		}
		if got := tt.typ.CanReceiveVoice(); got != tt.voice {
			t.Errorf("%v.CanReceiveVoice() = %v, want %v", tt.typ, got, tt.voice)
		}
	}
}

// TestDigitTable checks what digitValue relies on: unicode.Nd is made of whole runs of ten, each
// from 0 to 9.
func TestDigitTable(t *testing.T) {
	check := func(lo, hi, stride uint32) {
		if stride != 1 || (hi-lo+1)%10 != 0 {
			t.Errorf("unicode.Nd range %U..%U stride %d is not whole runs of ten", lo, hi, stride)
		}
	}
	for _, r := range unicode.Nd.R16 {
		check(uint32(r.Lo), uint32(r.Hi), uint32(r.Stride))
	}
	for _, r := range unicode.Nd.R32 {
		check(r.Lo, r.Hi, r.Stride)
	}
	for r, want := range map[rune]byte{'7': '7', '٣': '3', '۷': '7', '३': '3', '৯': '9', '๕': '5', '𝟗': '9', '０': '0', '９': '9', 'a': 0, '¹': 0, '½': 0, 'Ⅳ': 0} {
		got, ok := digitValue(r)
		if ok != (want != 0) || got != want {
			t.Errorf("digitValue(%q) = %q, %v; want %q", r, got, ok, want)
		}
	}
}

func TestNormalizerConcurrent(t *testing.T) {
	n := mustNormalizer(t, "US")
	done := make(chan error)
	for range 8 {
		go func() {
			for range 200 {
				got, err := n.Normalize("(425) 555-1234 x12")
				if err != nil {
					done <- err
					return
				}
				if got != withExt(us, "12") {
					done <- fmt.Errorf("got %+v", got)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"+1 4255551234", "+1 (425) 555-1234", "+1 4255551234X12345", "+1 4255551234;ext=123",
		"＋１ ４２５５５５１２３４", "tel:+1-425-555-1234;ext=99", "tel:555-1234;phone-context=+1-425",
		"+44 (0)20 7946 0958", "+49 (0)30 123456", "(425) 555-1234", "020 7946 0958",
		"0044 20 7946 0958", "011 44 20 7946 0958", "abc", "+1 555", "+999 1234567", "12", "",
		"   ", "+1 4255551234 please call", "\xff\xfe", "+14255551234,,123", "+39 06 12345678",
		"+800 1234 5678", "+44 7400 123456", "+١ ٤٢٥٥٥٥١٢٣٤", "+7 800 123 4567", "+86 10 1234 5678",
	} {
		f.Add(s)
	}
	plain := &Normalizer{}
	regions := []*Normalizer{plain, mustNormalizer(f, "US"), mustNormalizer(f, "GB"), mustNormalizer(f, "DE"), mustNormalizer(f, "IT")}
	f.Fuzz(func(t *testing.T, raw string) {
		_ = Mask(raw)
		for _, n := range regions {
			got, err := n.Normalize(raw)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Reason < Empty || pe.Reason > UnknownCountryCode {
					t.Fatalf("Normalize(%q) [%s] error %#v", raw, n.region, err)
				}
				_ = pe.Error()
				_ = pe.Redacted()
				continue
			}
			cc, national, ok := strings.Cut(got.Canonical, " ")
			if !ok || len(cc) < 2 || cc[0] != '+' || !asciiDigits(cc[1:]) || !asciiDigits(national) || national == "" {
				t.Fatalf("Normalize(%q) [%s] Canonical %q is not +CC NATIONAL", raw, n.region, got.Canonical)
			}
			if got.E164 != cc+national || got.National != national || got.Type == 0 || got.Type == Unknown || got.Region() == "" {
				t.Fatalf("Normalize(%q) [%s] = %+v: fields disagree", raw, n.region, got)
			}
			if got.Extension != "" && !asciiDigits(got.Extension) {
				t.Fatalf("Normalize(%q) [%s] Extension %q", raw, n.region, got.Extension)
			}
			if pn, err := phonenumbers.Parse(got.E164, ""); err != nil || !phonenumbers.IsValidNumber(pn) {
				t.Fatalf("Normalize(%q) [%s] = %q, which libphonenumber does not call valid (%v)", raw, n.region, got.E164, err)
			}
			again, err := plain.Normalize(got.Canonical)
			if err != nil {
				t.Fatalf("Normalize(%q) [%s] = %q, which does not normalize: %v", raw, n.region, got.Canonical, err)
			}
			if again != withExt(got, "") {
				t.Fatalf("Normalize(%q) [%s] = %+v, which normalizes to %+v", raw, n.region, got, again)
			}
			if m := Mask(got.Canonical); strings.Count(m, Bullet) == 0 && len(national) > 1 {
				t.Fatalf("Mask(%q) = %q hides nothing", got.Canonical, m)
			}
		}
	})
}

var benchInputs = []string{
	"+1 4255551234",
	"+1 (425) 555-1234 x123",
	"(425) 555-1234",
	"+44 (0)20 7946 0958",
	"+49 151 23456789",
	"tel:+1-425-555-1234;ext=99",
	"＋１ ４２５５５５１２３４",
	"4255551234 please call", // refused
}

func BenchmarkNormalize(b *testing.B) {
	n := mustNormalizer(b, "US")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = n.Normalize(benchInputs[i%len(benchInputs)])
		i++
	}
}

func BenchmarkNormalizeCanonical(b *testing.B) {
	n := mustNormalizer(b, "")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = n.Normalize("+1 4255551234")
	}
}

func TestRegion(t *testing.T) {
	n, _ := NewNormalizer("")
	for raw, want := range map[string]string{"+1 4255551234": "US", "+1 416 555 0123": "CA", "+44 2079460958": "GB", "+49 30123456": "DE", "+800 12345678": "001"} {
		num, err := n.Normalize(raw)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if got := num.Region(); got != want {
			t.Errorf("Region(%s) = %q, want %q", raw, got, want)
		}
	}
}
