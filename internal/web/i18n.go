package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// catalogs holds every user-facing text by language. English is complete; a language added
// here falls back to English for keys it lacks.
var catalogs = map[language.Tag]map[string]string{
	language.English: english,
}

var matcher = language.NewMatcher([]language.Tag{language.English})

// translator renders message keys for one request's language.
type translator struct {
	tag language.Tag
	cat map[string]string
}

func newTranslator(r *http.Request) translator {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	tag, _, _ := matcher.Match(tags...)
	base, _ := tag.Base()
	for t, cat := range catalogs {
		if b, _ := t.Base(); b == base {
			return translator{tag: t, cat: cat}
		}
	}
	return translator{tag: language.English, cat: english}
}

// T returns the text for key, formatted with args (fmt verbs in the catalog). Unknown keys are
// shown as the key itself so that a missing text is visible, never an empty page.
func (t translator) T(key string, args ...any) string {
	s, ok := t.cat[key]
	if !ok {
		s, ok = english[key]
	}
	if !ok {
		return key
	}
	for i, a := range args {
		if tm, ok := a.(time.Time); ok {
			args[i] = tm.Local().Format("15:04 on Jan 2")
		}
		if d, ok := a.(time.Duration); ok {
			args[i] = humanDuration(d)
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Lang is the page's lang attribute.
func (t translator) Lang() string { return t.tag.String() }

func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	default:
		return strings.TrimSuffix(d.String(), "0s")
	}
}

var english = map[string]string{
	"app.title":                  "Password reset",
	"app.skip":                   "Skip to content",
	"app.helpdesk":               "Need help? Contact your helpdesk",
	"app.helpdeskDefault":        "If these pages do not help, contact your IT helpdesk.",
	"app.otherPages":             "Other pages",
	"app.link.reset":             "Reset a forgotten password",
	"app.link.unlock":            "Unlock your account",
	"app.link.register":          "Register for password reset",
	"app.link.change":            "Change your password",
	"notFound.title":             "Page not found",
	"notFound.body":              "There is no page at this address. Use one of the links below.",
	"methodNotAllowed.title":     "This page cannot be used that way",
	"methodNotAllowed.body":      "Go back and use the page's form, or start again from one of the links below.",
	"reset.title":                "Reset your password",
	"reset.intro":                "Forgot your password? Prove who you are with the contact details your organization has on file, then choose a new password.",
	"unlock.title":               "Unlock your account",
	"unlock.intro":               "Locked out? Prove who you are with the contact details your organization has on file, and your account will be unlocked. Your password stays the same.",
	"start.label":                "User name",
	"start.help":                 "Your sign-in name, for example alice@contoso.com",
	"start.submit":               "Next",
	"verify.title":               "Verify your identity",
	"verify.progress":            "Step %d of %d: choose how to receive a code.",
	"verify.progressAny":         "Step %d of %d: choose how to prove who you are.",
	"verify.choose":              "Send a code",
	"verify.submitSend":          "Send code",
	"verify.option.email":        "Email a code to %s",
	"verify.option.sms":          "Text a code to %s",
	"verify.option.voice":        "Call %s",
	"verify.option.voice-office": "Call my office phone %s",
	"verify.none":                "There is no other way to verify your identity. Contact your helpdesk.",
	"verify.sent":                "We sent a code to %s. It can take a minute to arrive.",
	"verify.codeLabel":           "Verification code",
	"verify.codeHelp":            "Enter the digits you received.",
	"verify.submitCode":          "Verify",
	"verify.other":               "Use another method",
	"verify.resend":              "Send a new code",
	"password.title":             "Choose a new password",
	"password.rules":             "Your new password must:",
	"password.rule.length":       "be %d to %d characters long",
	"password.rule.strength":     "be hard to guess: a few unrelated words work well",
	"password.rule.name":         "not contain your name or user name",
	"password.rule.directory":    "meet your organization's rules (it may not repeat a recent password)",
	"password.new":               "New password",
	"password.confirm":           "Confirm new password",
	"password.submit":            "Reset password",
	"unlock.confirm":             "Your identity is verified.",
	"unlock.submit":              "Unlock my account",
	"done.reset.title":           "Your password was reset",
	"done.reset.body":            "You can now sign in with your new password.",
	"done.unlock.title":          "Your account is unlocked",
	"done.unlock.body":           "You can now sign in with your current password.",
	"error.title":                "Something went wrong",
	"error.again":                "Start again",
	"error.internal":             "The service could not complete your request. Try again in a few minutes.",

	"start.nameRequired":         "Enter your user name.",
	"session.expired":            "Your session has expired. Start again.",
	"session.conflict":           "This page was submitted twice. Check the page and try again.",
	"csrf.invalid":               "Your session has expired or this form was not sent from this site. Start again.",
	"send.unknownOption":         "Choose one of the methods shown.",
	"verify.noCode":              "That code has expired or was never sent. Send a new code.",
	"verify.exhausted":           "Too many wrong tries for this code. Send a new code.",
	"verify.wrong":               "That code is not right. %d tries left.",
	"throttle.locked":            "Too many attempts. For your security, password reset is blocked until %s.",
	"throttle.tooMany":           "Too many codes requested. Wait %s and try again.",
	"complete.notVerified":       "Verify your identity first.",
	"complete.inProgress":        "This request is already being completed. Wait a moment, then try signing in with your new password.",
	"password.mismatch":          "The two passwords are not the same.",
	"password.tooShort":          "The password is too short: use at least %d characters.",
	"password.tooLong":           "The password is too long: use at most %d characters.",
	"password.weak":              "The password is too easy to guess. Add a few unrelated words.",
	"password.containsName":      "The password must not contain your name or user name.",
	"password.invalid":           "The password contains characters that cannot be used.",
	"writeback.tooShort":         "Your organization requires a longer password.",
	"writeback.complexity":       "Your organization requires a more complex password (for example upper and lower case letters, digits and symbols).",
	"writeback.history":          "You used this password recently. Choose a password you have not used before.",
	"writeback.tooYoung":         "Your password was changed too recently to be changed again. Try again later or contact your helpdesk.",
	"writeback.locked":           "Your account is locked. Use Unlock your account, or contact your helpdesk.",
	"writeback.notPermitted":     "Your password cannot be reset here. Contact your helpdesk.",
	"writeback.unavailable":      "The directory cannot be reached right now. Nothing was changed. Try again in a few minutes.",
	"writeback.failed":           "Your password could not be changed. Nothing was changed. Contact your helpdesk.",
	"done.unlock.notLockedTitle": "Your account was not locked",
	"unlock.notLocked":           "Your account was not locked: you can sign in with your password. If you forgot it, reset it.",
	"unlock.unknown":             "The directory stopped answering, and we could not confirm whether your account was unlocked. Try signing in; if it is still locked, start again in a few minutes.",
	"writeback.unknown":          "The directory stopped answering, and we could not confirm whether your password was changed. Try signing in with the new password; if that does not work, start again in a few minutes.",

	// Security questions at reset.
	"verify.option.questions": "Answer %s security questions",
	"verify.submitNext":       "Continue",
	"verify.questions.legend": "Answer these %d questions as you did when you registered.",
	"verify.questions.help":   "Capital letters and extra spaces do not matter.",
	"verify.questions.submit": "Check answers",
	"questions.wrong":         "At least one answer is not right. Answer these questions instead.",
	"questions.answerAll":     "Answer every question.",
	"questions.unavailable":   "Your security questions cannot be used. Choose another method, or register them again.",
	"questions.busy":          "Many answers are being checked right now. Wait a minute and try again.",

	// The registration portal.
	"register.title":                    "Register for password reset",
	"register.intro":                    "Sign in with your current password to choose how you will prove who you are the day you forget it.",
	"signin.password":                   "Password",
	"signin.submit":                     "Sign in",
	"signin.forgot":                     "Forgot your password?",
	"signin.resetLink":                  "Reset your password",
	"signin.unlockLink":                 "Unlock your account",
	"signin.required":                   "Enter your user name and your password.",
	"signin.failed":                     "The user name or the password is not right, or the account is locked.",
	"signin.locked":                     "Your account is locked. Unlock it, then sign in here.",
	"signin.mustChange":                 "You must change your password before you can sign in. Reset it, then sign in here with the new one.",
	"signin.expired":                    "Your password or your account has expired. Reset your password, or contact your helpdesk.",
	"signin.disabled":                   "Your account is disabled. Contact your helpdesk.",
	"signin.notPermitted":               "You cannot sign in at this time or from this place. Contact your helpdesk.",
	"signin.unavailable":                "The directory cannot be reached right now. Try again in a few minutes.",
	"signin.error":                      "You could not be signed in. Try again later or contact your helpdesk.",
	"register.session.expired":          "You were signed out after a few minutes without activity. Sign in again.",
	"register.profile.title":            "Your password reset information",
	"register.signedInAs":               "Signed in as %s (%s).",
	"register.needed":                   "Register at least %d of the methods below: you will use them to prove who you are when you reset your password.",
	"register.firstTime":                "Check the details your organization has on file below. Confirm each one with a code, change what is wrong, then select Finish.",
	"register.reconfirm":                "Please check that this information is still right, then select Looks good.",
	"register.phone.title":              "Authentication phone",
	"register.phone.label":              "Mobile phone number",
	"register.phone.help":               "With the country code, for example +1 425 555 0100. We will text it a code (or call it, if it cannot receive texts).",
	"register.phone.none":               "No authentication phone is registered yet.",
	"register.phone.change":             "Use another number",
	"register.email.title":              "Authentication email",
	"register.email.label":              "Email address",
	"register.email.help":               "A personal address you can read when you cannot sign in, not your work address.",
	"register.email.none":               "No authentication email is registered yet.",
	"register.email.change":             "Use another address",
	"register.registered":               "Registered: %s",
	"register.sendCode":                 "Send code",
	"register.change":                   "Change and send code",
	"register.codeSent.sms":             "We sent a code by text message to %s.",
	"register.codeSent.voice":           "We are calling %s to read you a code.",
	"register.codeSent.email":           "We emailed a code to %s.",
	"register.codeLabel":                "Code",
	"register.verify":                   "Verify",
	"register.questions.title":          "Security questions",
	"register.questions.status":         "%d questions registered on %s.",
	"register.questions.none":           "No security questions are registered yet.",
	"register.questions.edit":           "Choose security questions",
	"register.questions.change":         "Change security questions",
	"register.questions.intro":          "Choose %d questions and answer them. When you reset your password, you may be asked some of them.",
	"register.questions.rules":          "Rules for answers",
	"register.questions.rule.length":    "Each answer has %d to %d characters.",
	"register.questions.rule.different": "Choose each question once, and give a different answer to each.",
	"register.questions.rule.words":     "An answer may not repeat the words of its question.",
	"register.questions.rule.private":   "Answers are stored scrambled: nobody, not even your administrators, can read them.",
	"register.questions.n":              "Question %d",
	"register.questions.question":       "Question",
	"register.questions.answer":         "Answer",
	"register.questions.choose":         "Choose a question",
	"register.questions.save":           "Save questions",
	"register.questions.problems":       "Some answers need to change: see below.",
	"register.back":                     "Back",
	"register.confirm.title":            "Finish",
	"register.finish":                   "Finish",
	"register.looksGood":                "Looks good",
	"register.incomplete":               "Register at least %d of the methods above to finish.",
	"register.signout":                  "Sign out",
	"register.saved.phone":              "Your authentication phone is saved.",
	"register.saved.email":              "Your authentication email is saved.",
	"register.saved.questions":          "Your security questions are saved.",
	"register.phone.disabled":           "Phones are not used for password reset here.",
	"register.phone.invalid":            "That is not a phone number that can be used. Write it with the country code, for example +1 425 555 0100.",
	"register.phone.noCountryCode":      "Add the country code, for example +1 425 555 0100.",
	"register.phone.cannotReceive":      "That number can receive neither text messages nor calls. Use a mobile number.",
	"register.email.disabled":           "Email is not used for password reset here.",
	"register.email.invalid":            "Enter an email address such as name@example.com.",
	"register.questions.disabled":       "Security questions are not used for your account.",
	"questions.count":                   "Choose %d questions.",
	"questions.choose":                  "Choose a question.",
	"questions.unknown":                 "Choose a question from the list.",
	"questions.duplicate":               "You chose this question twice.",
	"answers.empty":                     "Answer this question.",
	"answers.tooShort":                  "Use at least %d characters.",
	"answers.tooLong":                   "Use at most %d characters.",
	"answers.duplicate":                 "You gave this answer twice: give a different answer to each question.",
	"answers.containsQuestion":          "The answer may not repeat words of the question.",
	"done.register.title":               "You are registered",
	"done.register.body":                "Your information is saved and you are signed out. You can close this page.",

	// Changing a known password (/change).
	"change.title":          "Change your password",
	"change.intro":          "Know your password? Change it here, also when it has expired or you must change it before you can sign in.",
	"change.link":           "Know your password and want to change it?",
	"change.current":        "Current password",
	"change.submit":         "Change password",
	"change.required":       "Enter your user name, your current password and a new password.",
	"change.failed":         "The user name or the current password is not right, or the account is locked.",
	"change.expired":        "Your password has expired and can no longer be changed with it. Reset your password instead.",
	"change.mustChange":     "Your password must be changed by a reset. Reset your password instead.",
	"change.notPermitted":   "Your password cannot be changed here. Contact your helpdesk.",
	"done.change.title":     "Your password was changed",
	"done.change.body":      "You can now sign in with your new password.",
	"done.reset.mustChange": "Before you sign in with your new password, your organization asks you to change it: change it now.",
}
