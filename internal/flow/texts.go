package flow

import (
	"strings"
	"time"

	"github.com/sspr/sspr/internal/i18n"
)

// Texts composes the flows' messages to a user (codes, notices) in the user's language, from
// the i18n catalog: one place for every mail, SMS and voice text of the flows.
type Texts struct {
	// Bundle is the catalog (nil: the built-in one).
	Bundle *i18n.Bundle
	// Company names the organization in the messages ("": the catalog's "your organization").
	Company string
	// PublicURL is the only base for links in messages.
	PublicURL string
}

// Code purposes: what a code proves.
const (
	PurposeReset    = "reset"
	PurposeUnlock   = "unlock"
	PurposeRegister = "register"
)

// For is the translator of lang (a BCP 47 tag; "" or unknown: the default language).
func (x Texts) For(lang string) *i18n.Translator {
	b := x.Bundle
	if b == nil {
		b = i18n.Default()
	}
	return b.For(lang)
}

func (x Texts) company(tr *i18n.Translator) string {
	if x.Company != "" {
		return x.Company
	}
	return tr.T("company.default")
}

// CodeMessage is the message carrying a one-time code to `to` by method (MethodEmail,
// MethodSMS, else a voice call), for purpose (PurposeReset, PurposeUnlock, PurposeRegister), in
// lang.
func (x Texts) CodeMessage(lang, purpose, method, to, code string, lifetime time.Duration) Message {
	tr := x.For(lang)
	company := x.company(tr)
	e164 := strings.ReplaceAll(to, " ", "")
	switch method {
	case MethodEmail:
		return Message{Channel: MethodEmail, To: to, Subject: tr.T("mail.code.subject", company),
			Body: tr.T("mail.code."+purpose, code, x.PublicURL, lifetime), Language: tr.Lang()}
	case MethodSMS:
		key := "sms.code"
		if purpose == PurposeRegister {
			key = "sms.code.register"
		}
		return Message{Channel: MethodSMS, To: e164, Body: tr.T(key, company, code, lifetime), Language: tr.Lang()}
	default:
		return Message{Channel: MethodVoice, To: e164, Body: tr.T("voice.code", company, code), Language: tr.Lang()}
	}
}

// Lang is the tag of the language the messages for lang are composed in: lang's offered
// language, else the default one.
func (x Texts) Lang(lang string) string { return x.For(lang).Lang() }

// Notice is the subject and body of the mail telling a user their account changed: kind is
// reset, unlock, change or registration; the body names the account, the company (change,
// registration), the time (in the catalog's zone, with the zone) and, for registration, what
// changed.
func (x Texts) Notice(lang, kind, account string, at time.Time, what string) (subject, body string) {
	tr := x.For(lang)
	subject = tr.T("mail." + kind + ".subject")
	switch kind {
	case "change":
		body = tr.T("mail.change.body", account, x.company(tr), at)
	case "registration":
		body = tr.T("mail.registration.body", account, x.company(tr), at, what)
	default:
		body = tr.T("mail."+kind+".body", account, at)
	}
	return subject, body
}
