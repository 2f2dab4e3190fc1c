// Package phone turns phone values as people and directories write them into the one form sspr
// stores, shows and dials, and says precisely why a value cannot be used.
//
// # Canonical form
//
// The reference document (deploy-sspr-without-registration) requires phone numbers "in the format
// +CountryCode PhoneNumber", for example "+1 4255551234", and says extensions are not supported:
// "+1 4255551234X12345" is dialled as "+1 4255551234". So a Number's Canonical is a plus, the
// country calling code, exactly one space and the national significant number's digits, with no
// other separator, no trunk prefix ("+44 (0)20 7946 0958" → "+44 2079460958") and no extension
// (kept apart in Number.Extension, never dialled). One form means one stored value per number,
// equality by string comparison, and re-normalizing a canonical number gives it back unchanged.
//
// # Flow
//
//	raw value ──► size, UTF-8, trim ──► scan: digits (any script), leading +, separators,
//	          tel: URI, extension ──► libphonenumber: country code, national prefix, validity,
//	          type ──► Number{Canonical "+CC NATIONAL", E164, Type, Extension}; Region() on demand
//
// Every refusal is an *Error with a Reason (Empty, TooLong, InvalidUTF8, InvalidCharacters,
// NoCountryCode, UnknownCountryCode, NotANumber, InvalidNumber) and an administrator-readable
// sentence naming the value; sync keeps such values out of reset and reports them. Error texts
// quote the value: log Error.Redacted instead.
//
// A number written without + needs a default region (configuration phone.defaultRegion); without
// one it is NoCountryCode, including "00"/"011" international prefixes, whose meaning depends on the
// country dialled from.
//
// Type tells what the metadata says about the line (mobile, fixed line, ...);
// Type.CanReceiveSMS and Type.CanReceiveVoice decide which verification methods a number offers.
//
// Mask shows contact data to someone who has not yet proved who they are:
// "+1 ••••••1234" (email.Mask does the same for addresses: "a•••@contoso.com").
package phone
