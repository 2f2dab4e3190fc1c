package admin

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Limits, the same as the sync applies to directory values.
const (
	maxUPN         = 256
	maxDisplayName = 256
	maxEmails      = 50
)

// officePhoneRule is the reference document's rule, quoted in the refusal.
const officePhoneRule = `"Office Phone - Can only be set if not synchronizing with an on-premises directory"`

// plan is what a Change does to one user.
type plan struct {
	changes []FieldChange
	notes   []string
	errs    []FieldError
}

func (p *plan) fail(field, code, format string, args ...any) {
	p.errs = append(p.errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (p *plan) change(field, old, new string) {
	p.changes = append(p.changes, FieldChange{Field: field, Old: old, New: new})
}

// plan applies c to *u in memory, field by field, and says what changed and what was refused.
// A value equal to the current one (phones compared after normalization, emails without regard
// to case) is no change, even for a field the directory owns.
func (s *Service) plan(u *store.User, c Change) plan {
	var p plan
	dir := u.Source == store.SourceDirectory
	owned := func(field string) bool { return dir && slices.Contains(u.DirectoryFields, field) }

	if c.DisplayName != nil {
		v := strings.TrimSpace(*c.DisplayName)
		switch reason := checkDisplayName(v); {
		case v == u.DisplayName:
		case dir:
			p.fail(store.FieldDisplayName, CodeDirectoryOwned, "%s is synchronized from the directory, which owns displayName: change it there", u.UserPrincipalName)
		case reason != "":
			p.fail(store.FieldDisplayName, CodeInvalid, "%q: %s", v, reason)
		default:
			p.change(store.FieldDisplayName, u.DisplayName, v)
			u.DisplayName = v
		}
	}

	if c.MobilePhone != nil {
		s.planMobile(&p, u, *c.MobilePhone)
	}

	if c.OfficePhone != nil {
		np, err := s.phone(*c.OfficePhone)
		switch {
		case err == nil && np.Number == u.OfficePhone.Number:
		case dir:
			p.fail(store.FieldOfficePhone, CodeDirectoryOwned,
				"cannot be set for %s: the user is synchronized from the directory, which owns officePhone (the reference document: %s); "+
					"change the directory attribute mapped to officePhone (telephoneNumber by default)", u.UserPrincipalName, officePhoneRule)
		case err != nil:
			p.fail(store.FieldOfficePhone, CodeInvalid, "%s", phoneMessage(err))
		default:
			p.change(store.FieldOfficePhone, phoneText(u.OfficePhone), np.Number)
			u.OfficePhone = np
		}
	}

	if c.AlternateEmails != nil || len(c.AddAlternateEmails) > 0 || len(c.RemoveAlternateEmails) > 0 {
		s.planEmails(&p, u, c, owned(store.FieldAlternateEmails))
	}

	if c.AccountEnabled != nil && *c.AccountEnabled != u.AccountEnabled {
		if dir {
			p.fail(store.FieldAccountEnabled, CodeDirectoryOwned, "%s is synchronized from the directory, which owns accountEnabled: enable or disable the account there", u.UserPrincipalName)
		} else {
			p.change(store.FieldAccountEnabled, strconv.FormatBool(u.AccountEnabled), strconv.FormatBool(*c.AccountEnabled))
			u.AccountEnabled = *c.AccountEnabled
		}
	}
	if len(p.errs) > 0 {
		p.changes, p.notes = nil, nil
	}
	return p
}

// planMobile sets mobilePhone. For a directory user the value is an override that the sync keeps
// until the directory's own value changes; setting the directory's value ends the override.
func (s *Service) planMobile(p *plan, u *store.User, raw string) {
	np, err := s.phone(raw)
	if err != nil {
		p.fail(store.FieldMobilePhone, CodeInvalid, "%s", phoneMessage(err))
		return
	}
	if np.Number == u.MobilePhone.Number {
		return
	}
	old := phoneText(u.MobilePhone)
	if u.Source == store.SourceDirectory {
		if dirPhone := s.directoryPhone(u.DirectoryMobilePhone); dirPhone.Number == np.Number {
			u.MobilePhone, u.MobilePhoneOverridden = dirPhone, false
			p.notes = append(p.notes, "mobilePhone is the directory's value again: the administrator's override ended")
		} else {
			u.MobilePhone, u.MobilePhoneOverridden = np, true
			p.notes = append(p.notes, fmt.Sprintf("%s is synchronized from the directory: this mobilePhone is kept as an administrator's "+
				"override until the directory's own mobile value changes", u.UserPrincipalName))
		}
	} else {
		u.MobilePhone = np
	}
	if t := phone.ParseType(np.Type); np.Number != "" && !t.CanReceiveSMS() {
		p.notes = append(p.notes, fmt.Sprintf("mobilePhone %s is a %s number: it can take voice calls but not SMS", np.Number, np.Type))
	}
	p.change(store.FieldMobilePhone, old, np.Number)
}

// planEmails replaces, removes and adds alternate email addresses.
func (s *Service) planEmails(p *plan, u *store.User, c Change, owned bool) {
	next := slices.Clone(u.AlternateEmails)
	bad := false
	valid := func(a string) bool {
		if err := email.Validate(a); err != nil {
			p.fail(store.FieldAlternateEmails, CodeInvalid, "%q: %v", a, err)
			bad = true
			return false
		}
		return true
	}
	has := func(l []string, a string) bool {
		return slices.ContainsFunc(l, func(x string) bool { return strings.EqualFold(x, a) })
	}
	if c.AlternateEmails != nil {
		next = nil
		for _, a := range *c.AlternateEmails {
			if a = strings.TrimSpace(a); a != "" && valid(a) && !has(next, a) {
				next = append(next, a)
			}
		}
	}
	for _, a := range c.RemoveAlternateEmails {
		a = strings.TrimSpace(a)
		next = slices.DeleteFunc(next, func(x string) bool { return strings.EqualFold(x, a) })
	}
	for _, a := range c.AddAlternateEmails {
		if a = strings.TrimSpace(a); a != "" && valid(a) && !has(next, a) {
			next = append(next, a)
		}
	}
	if bad {
		return
	}
	if slices.EqualFunc(next, u.AlternateEmails, strings.EqualFold) {
		return
	}
	if owned {
		p.fail(store.FieldAlternateEmails, CodeDirectoryOwned, "%s is synchronized from the directory, and alternateEmails are mapped from it "+
			"(directory.mapping.alternateEmails): change them in the directory", u.UserPrincipalName)
		return
	}
	if len(next) > maxEmails {
		p.fail(store.FieldAlternateEmails, CodeInvalid, "%d addresses: at most %d", len(next), maxEmails)
		return
	}
	p.change(store.FieldAlternateEmails, strings.Join(u.AlternateEmails, ";"), strings.Join(next, ";"))
	u.AlternateEmails = next
}

// phone normalizes an administrator's value as the sync normalizes a directory value. An empty
// (or blank) value is the empty phone: it clears the field.
func (s *Service) phone(raw string) (store.Phone, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return store.Phone{}, nil
	}
	n, err := s.norm.Normalize(raw)
	if err != nil {
		return store.Phone{}, err
	}
	return store.Phone{Raw: raw, Number: n.Canonical, Type: n.Type.String()}, nil
}

// directoryPhone is the directory's raw value as the sync stores it: normalized, or kept with
// the reason it is unusable.
func (s *Service) directoryPhone(raw string) store.Phone {
	if raw == "" {
		return store.Phone{}
	}
	p, err := s.phone(raw)
	if err != nil {
		p = store.Phone{Raw: raw, Problem: err.Error()}
		var pe *phone.Error
		if errors.As(err, &pe) {
			p.Problem = pe.Why()
		}
		return p
	}
	p.Raw = raw
	return p
}

// phoneMessage is phone.Error's sentence, which quotes the value and says why it is refused.
func phoneMessage(err error) string {
	var pe *phone.Error
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return err.Error()
}

// phoneText is a stored phone as the administrator sees it: the canonical number, or the raw
// value marked unusable.
func phoneText(p store.Phone) string {
	if p.Number != "" || p.Raw == "" {
		return p.Number
	}
	return p.Raw + " (unusable)"
}

func checkUPN(upn string) string {
	switch {
	case upn == "":
		return "empty userPrincipalName"
	case !utf8.ValidString(upn):
		return "not valid UTF-8"
	case len(upn) > maxUPN:
		return fmt.Sprintf("longer than %d bytes", maxUPN)
	case strings.IndexFunc(upn, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return "contains spaces or control characters"
	}
	return ""
}

func checkDisplayName(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "not valid UTF-8"
	case len(v) > maxDisplayName:
		return fmt.Sprintf("longer than %d bytes", maxDisplayName)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	return ""
}
