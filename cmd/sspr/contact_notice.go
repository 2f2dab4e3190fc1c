package main

import (
	"context"
	"fmt"

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
	company := a.cfg.Branding.CompanyName
	if company == "" {
		company = "your organization"
	}
	return func(ctx context.Context, c syncer.ContactChange) {
		what := fmt.Sprintf("The %s of your account %s at %s changed in the directory on %s", c.Field, c.User.UserPrincipalName,
			company, c.At.UTC().Format("2006-01-02 15:04 MST"))
		switch {
		case c.Old != "":
			what += fmt.Sprintf(": from %s to %s.", c.Old, c.New)
		default:
			what += fmt.Sprintf(": %s was added.", c.New)
		}
		if cool > 0 {
			what += fmt.Sprintf(" It can be used to reset your password from %s.", c.At.Add(cool).UTC().Format("2006-01-02 15:04 MST"))
		}
		body := what + "\n\nIf you did not ask for this change, contact your helpdesk at once.\n"
		for _, to := range c.Notify {
			if _, err := outbox.Send(ctx, notify.Message{Channel: notify.ChannelEmail, To: to,
				Subject: "A contact detail of your account changed", Body: body}); err != nil {
				a.log.Error("queue a contact change notice", "user", c.User.UserPrincipalName, "err", err)
			}
		}
	}
}
