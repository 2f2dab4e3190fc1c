package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// adminStore is what the administrative commands and the API need of the store.
type adminStore interface {
	store.Store
	store.Updates
	store.Audit
	store.Tokens
}

// admin returns the store's administrative interfaces and the service that applies changes with
// the configuration's phone.defaultRegion (the sync's normalization).
func (a *app) admin() (*admin.Service, adminStore, error) {
	st, ok := a.store.(adminStore)
	if !ok {
		return nil, nil, errors.New("this store does not support administrative changes")
	}
	n, err := phone.NewNormalizer(a.cfg.Phone.DefaultRegion)
	if err != nil {
		return nil, nil, fmt.Errorf("phone: %w", err)
	}
	return admin.New(st, n, nil).WithLog(a.log), st, nil // one "flow outcome" line per change
}

// cliActor is the local administrator, as the audit log names them: "cli:<os user>".
func cliActor() admin.Actor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = fmt.Sprintf("uid%d", os.Getuid())
	}
	return admin.CLIActor(name)
}

// adminError turns an error of package admin or the store into what the administrator reads.
func adminError(upn string, err error) error {
	var ve *admin.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		lines := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			lines[i] = "  " + f.String()
		}
		return fmt.Errorf("%s: nothing was changed:\n%s", ve.UserPrincipalName, strings.Join(lines, "\n"))
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no user %q", upn)
	}
	return err
}
