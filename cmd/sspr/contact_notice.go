package main

import (
	"context"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/syncer"
)

// contactNotices tells the addresses a user was known by that a directory contact value of
// theirs changed (the owner of the previous value learns of it), through the outbox, which
// needs the server secret: without one the notices are not sent, and the log says so once.
func (a *app) contactNotices() func(context.Context, syncer.ContactChange) {
	if a.cfg.Server.SecretFile == "" {
		return nil
	}
	key, err := secret.Load(a.cfg.Server.SecretFile)
	if err != nil {
		a.log.Warn("contact change notices not sent: the server secret cannot be read", "err", err)
		return nil
	}
	sealer, err := notify.NewSealer(key.Derive("outbox"))
	if err != nil {
		a.log.Warn("contact change notices not sent", "err", err)
		return nil
	}
	outbox := notify.NewOutbox(a.store, sealer, nil)
	cool := a.cfg.Reset.Cooldown()
	texts, err := i18n.New(a.cfg.I18N)
	if err != nil {
		a.log.Warn("contact change notices not sent", "err", err)
		return nil
	}
	return func(ctx context.Context, c syncer.ContactChange) {
		// In the user's preferred language (the directory's), else the default one.
		tr := texts.Pick(c.User.PreferredLanguage)
		company := a.cfg.Branding.CompanyName
		if company == "" {
			company = tr.T("company.default")
		}
		field := tr.T("field." + c.Field)
		var what string
		switch {
		case c.Old != "":
			what = tr.T("mail.contact.changed", field, c.User.UserPrincipalName, company, c.At, c.Old, c.New)
		default:
			what = tr.T("mail.contact.added", field, c.User.UserPrincipalName, company, c.At, c.New)
		}
		if cool > 0 {
			what += " " + tr.T("mail.contact.cooldown", c.At.Add(cool))
		}
		body := what + "\n\n" + tr.T("mail.contact.footer") + "\n"
		subject := tr.T("mail.contact.subject")
		for _, to := range c.Notify {
			if _, err := outbox.Send(ctx, notify.Message{Channel: notify.ChannelEmail, To: to,
				Subject: subject, Body: body}); err != nil {
				a.log.Error("queue a contact change notice", "user", c.User.UserPrincipalName, "err", err)
			}
		}
	}
}
