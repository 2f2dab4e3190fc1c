package syncer

import (
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Limits on values read from the directory. Longer values are rejected, not truncated.
const (
	maxUPN         = 256
	maxDisplayName = 256
	maxRawStored   = 128 // an unusable raw phone is kept (for the report) up to this length
	maxEmails      = 50
)

// fingerprintVersion changes when the way records become users changes, so that the next run
// rewrites every user.
// Version 2: control characters are removed from stored values.
const fingerprintVersion = "2"

// fingerprint hashes every value of a record that ends up in the store, plus the settings that
// change how they are read. Equal fingerprints mean the stored user is up to date.
func fingerprint(r directory.Record, cfg Config) uint64 {
	h := fnv.New64a()
	w := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	w(fingerprintVersion)
	w(cfg.DefaultRegion)
	w(strconv.FormatBool(cfg.OwnsAlternateEmails))
	w(r.DN)
	w(r.UserPrincipalName)
	w(r.DisplayName)
	w(r.MobilePhone)
	w(r.OfficePhone)
	if cfg.OwnsAlternateEmails {
		for _, e := range r.AlternateEmails {
			w(e)
		}
	}
	w(strconv.FormatBool(r.AccountEnabled))
	w(strconv.FormatBool(r.Privileged))
	// A new password (AD pwdLastSet, OpenLDAP pwdChangedTime) or policy moves the expiry.
	if !r.PasswordExpiresAt.IsZero() {
		w(strconv.FormatInt(r.PasswordExpiresAt.Unix(), 10))
	}
	w(strconv.FormatBool(r.PasswordNeverExpires))
	// Only when set, so that users without one keep the fingerprint they had before the
	// language was read.
	if r.PreferredLanguage != "" {
		w("preferredLanguage=" + r.PreferredLanguage)
	}
	return h.Sum64()
}

// build validates a record and turns it into a user. It returns nil when the entry cannot be a
// user at all, and rejections for values it could not use (the user keeps the rest).
func (e *Engine) build(r directory.Record) (*store.User, []Rejection) {
	dn := sanitize(r.DN, 1024)
	upn := strings.TrimSpace(r.UserPrincipalName)
	if reason := checkUPN(upn); reason != "" {
		return nil, []Rejection{{DN: dn, Field: store.FieldUserPrincipalName, Value: shown(upn, 80), Reason: reason}}
	}
	u := &store.User{
		Source:            store.SourceDirectory,
		Anchor:            append([]byte(nil), r.Anchor...),
		DN:                dn,
		UserPrincipalName: upn,
		AccountEnabled:    r.AccountEnabled,
		Privileged:        r.Privileged,
		PasswordExpiresAt: passwordExpiry(r),
		DirectoryFields: []string{store.FieldUserPrincipalName, store.FieldDisplayName,
			store.FieldMobilePhone, store.FieldOfficePhone, store.FieldAccountEnabled},
	}
	var rej []Rejection
	bad := func(field, value, reason string) {
		rej = append(rej, Rejection{DN: dn, UserPrincipalName: upn, Field: field, Value: shown(value, 80), Reason: reason})
	}
	switch dn := strings.TrimSpace(r.DisplayName); {
	case !utf8.ValidString(dn):
		bad(store.FieldDisplayName, dn, "not valid UTF-8")
	case len(dn) > maxDisplayName:
		bad(store.FieldDisplayName, dn, "longer than 256 bytes")
	default:
		if clean, removed := stripControl(dn); removed {
			// Terminal escapes (ESC, CSI, OSC) would act on the terminal of whoever lists users.
			bad(store.FieldDisplayName, dn, "control characters (terminal escapes) removed")
			dn = strings.TrimSpace(clean)
		}
		u.DisplayName = dn
	}
	u.MobilePhone = e.phone(r.MobilePhone, store.FieldMobilePhone, bad)
	u.DirectoryMobilePhone = u.MobilePhone.Raw
	u.OfficePhone = e.phone(r.OfficePhone, store.FieldOfficePhone, bad)
	if e.cfg.OwnsAlternateEmails {
		u.DirectoryFields = append(u.DirectoryFields, store.FieldAlternateEmails)
		for _, a := range r.AlternateEmails {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if err := email.Validate(a); err != nil {
				bad(store.FieldAlternateEmails, a, strings.TrimPrefix(err.Error(), "invalid email address: "))
				continue
			}
			if slices.ContainsFunc(u.AlternateEmails, func(x string) bool { return strings.EqualFold(x, a) }) {
				continue
			}
			if len(u.AlternateEmails) == maxEmails {
				bad(store.FieldAlternateEmails, a, "more than 50 addresses")
				break
			}
			u.AlternateEmails = append(u.AlternateEmails, a)
		}
	}
	switch l := strings.TrimSpace(r.PreferredLanguage); {
	case l == "":
	case len(l) > maxLanguage || strings.IndexFunc(l, func(c rune) bool { return !languageChar(c) }) >= 0:
		bad(FieldPreferredLanguage, l, "not a language tag (BCP 47, such as de or fr-CA)")
	default:
		u.PreferredLanguage = l
	}
	return u, rej
}

// FieldPreferredLanguage names the preferred language in rejections.
const FieldPreferredLanguage = "preferredLanguage"

// maxLanguage bounds a preferred language: a tag, or a short Accept-Language list.
const maxLanguage = 64

// languageChar: the characters of a language tag or an Accept-Language list.
func languageChar(c rune) bool {
	return c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_,;=. *", c))
}

// passwordExpiry is the stored form of the record's expiry: nil when it never expires or is
// unknown.
func passwordExpiry(r directory.Record) *time.Time {
	if r.PasswordNeverExpires || r.PasswordExpiresAt.IsZero() {
		return nil
	}
	t := r.PasswordExpiresAt.UTC()
	return &t
}

func checkUPN(upn string) string {
	switch {
	case upn == "":
		return "empty userPrincipalName"
	case !utf8.ValidString(upn):
		return "userPrincipalName is not valid UTF-8"
	case len(upn) > maxUPN:
		return "userPrincipalName is longer than 256 bytes"
	case strings.IndexFunc(upn, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return "userPrincipalName contains spaces or control characters"
	}
	return ""
}

// phone normalizes a raw phone value. An unusable value is kept raw with its problem, so the
// readiness report can show it, and reported as a rejection.
func (e *Engine) phone(raw, field string, bad func(field, value, reason string)) store.Phone {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return store.Phone{}
	}
	p := store.Phone{Raw: shown(raw, maxRawStored)} // kept for the readiness report
	n, err := e.norm.Normalize(raw)
	if err != nil {
		var pe *phone.Error
		if errors.As(err, &pe) {
			p.Problem = pe.Why()
		} else {
			p.Problem = err.Error()
		}
		bad(field, raw, p.Problem)
		return p
	}
	p.Number = n.Canonical
	p.Type = n.Type.String()
	return p
}

// merge keeps what the directory does not own from the stored user.
func (e *Engine) merge(u *store.User, old store.User) {
	u.ID = old.ID
	u.Version = old.Version
	u.CreatedAt = old.CreatedAt
	u.AuthenticationPhone = old.AuthenticationPhone
	u.AuthenticationEmail = old.AuthenticationEmail
	u.SecurityQuestionsCount = old.SecurityQuestionsCount
	u.SecurityQuestionsRegisteredAt = old.SecurityQuestionsRegisteredAt
	if !e.cfg.OwnsAlternateEmails {
		u.AlternateEmails = old.AlternateEmails
	}
	// An administrator's mobilePhone stays until the directory's own value changes.
	if old.MobilePhoneOverridden && old.DirectoryMobilePhone == u.DirectoryMobilePhone {
		u.MobilePhone = old.MobilePhone
		u.MobilePhoneOverridden = true
	}
}

// diff lists the fields an update changes, for the dry run and verbose output.
func diff(old, u store.User) []FieldChange {
	var out []FieldChange
	add := func(field, a, b string) {
		if a != b {
			out = append(out, FieldChange{Field: field, Old: a, New: b})
		}
	}
	add("dn", old.DN, u.DN)
	add(store.FieldUserPrincipalName, old.UserPrincipalName, u.UserPrincipalName)
	add(store.FieldDisplayName, old.DisplayName, u.DisplayName)
	add(store.FieldMobilePhone, phoneText(old.MobilePhone), phoneText(u.MobilePhone))
	add(store.FieldOfficePhone, phoneText(old.OfficePhone), phoneText(u.OfficePhone))
	add(store.FieldAlternateEmails, strings.Join(old.AlternateEmails, ";"), strings.Join(u.AlternateEmails, ";"))
	add(store.FieldAccountEnabled, strconv.FormatBool(old.AccountEnabled), strconv.FormatBool(u.AccountEnabled))
	return out
}

func phoneText(p store.Phone) string {
	if p.Number != "" || p.Raw == "" {
		return p.Number
	}
	return p.Raw + " (unusable)"
}

// sanitize makes a directory value safe to store: valid UTF-8, at most max bytes.
func sanitize(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// shown is sanitize with the control characters made visible and harmless (ESC as ␛, BEL as ␇:
// Unicode's control pictures; C1 as U+FFFD): a value kept only to be shown.
func shown(s string, max int) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			switch {
			case r < 0x20:
				return 0x2400 + r
			case r == 0x7f:
				return 0x2421
			case unicode.IsControl(r):
				return utf8.RuneError
			}
			return r
		}, s)
	}
	return sanitize(s, max)
}

// stripControl removes the control characters (C0, DEL, C1: ESC and the CSI and OSC that start
// terminal escape sequences) from s, and reports whether there were any.
func stripControl(s string) (string, bool) {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s, false
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s), true
}
