package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/userview"
)

// changeFlags are the flags of `user set` and `user create`: the fields an administrator sets.
type changeFlags struct {
	displayName, mobilePhone, officePhone, alternateEmails string
	add, remove                                            []string
	accountEnabled                                         bool
}

func (c *changeFlags) register(f *pflag.FlagSet, withAddRemove bool) {
	f.StringVar(&c.displayName, "display-name", "", "displayName (users not synchronized from the directory)")
	f.StringVar(&c.mobilePhone, "mobile-phone", "", `mobilePhone, e.g. "+1 4255551234"; "" clears. For a directory user: kept until the directory's own mobile changes`)
	f.StringVar(&c.officePhone, "office-phone", "", `officePhone; "" clears. Only for users not synchronized from the directory`)
	f.StringVar(&c.alternateEmails, "alternate-emails", "", `alternateEmails, replacing the list: a@x,b@y; "" clears`)
	f.BoolVar(&c.accountEnabled, "account-enabled", true, "accountEnabled (users not synchronized from the directory)")
	if withAddRemove {
		f.StringArrayVar(&c.add, "add-alternate-email", nil, "add an address to alternateEmails (repeatable)")
		f.StringArrayVar(&c.remove, "remove-alternate-email", nil, "remove an address from alternateEmails (repeatable)")
	}
}

// change is what the flags given on the command line ask for.
func (c *changeFlags) change(f *pflag.FlagSet) admin.Change {
	var ch admin.Change
	if f.Changed("display-name") {
		ch.DisplayName = &c.displayName
	}
	if f.Changed("mobile-phone") {
		ch.MobilePhone = &c.mobilePhone
	}
	if f.Changed("office-phone") {
		ch.OfficePhone = &c.officePhone
	}
	if f.Changed("alternate-emails") {
		l := admin.SplitList(c.alternateEmails)
		ch.AlternateEmails = &l
	}
	if f.Changed("account-enabled") {
		ch.AccountEnabled = &c.accountEnabled
	}
	for _, a := range c.add {
		ch.AddAlternateEmails = append(ch.AddAlternateEmails, admin.SplitList(a)...)
	}
	for _, a := range c.remove {
		ch.RemoveAlternateEmails = append(ch.RemoveAlternateEmails, admin.SplitList(a)...)
	}
	return ch
}

func newUserSetCmd(g *globals) *cobra.Command {
	var flags changeFlags
	var output string
	cmd := &cobra.Command{
		Use:   "set USERPRINCIPALNAME",
		Short: "Set a user's mobilePhone, officePhone, alternateEmails (like Set-MsolUser)",
		Long: `Sets the fields given, all together or none, and records each change in the audit log.
Phones are normalized as the sync does (+CC NUMBER, extensions stripped, phone.defaultRegion for
numbers without +); an invalid value is refused with the reason.

officePhone cannot be set for a user synchronized from the directory (the reference document:
"Office Phone - Can only be set if not synchronizing with an on-premises directory"). A directory
user's mobilePhone may be set: it is kept until the directory's own mobile value changes.`,
		Example: `  sspr user set alice --mobile-phone "+1 4255551234"
  sspr user set carl --office-phone "+1 4255550101" --alternate-emails carl@example.org,c@example.net
  sspr user set carl --add-alternate-email c2@example.org --remove-alternate-email c@example.net
  sspr user set carl --mobile-phone ""      # clears mobilePhone`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			c := flags.change(cmd.Flags())
			if c.IsZero() {
				return usagef("nothing to set: give --mobile-phone, --office-phone, --alternate-emails, --add-alternate-email, --remove-alternate-email, --display-name or --account-enabled")
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, _, err := a.admin()
			if err != nil {
				return err
			}
			res, err := svc.Update(cmd.Context(), cliActor(), args[0], 0, c)
			if err != nil {
				return adminError(args[0], err)
			}
			return writeResult(cmd.OutOrStdout(), f, res)
		},
	}
	flags.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table (the changes) or json (the user)")
	return cmd
}

// writeResult prints what changed, or the user as JSON.
func writeResult(w io.Writer, f format, res admin.Result) error {
	if f == formatJSON {
		return writeJSON(w, userview.FromStore(res.User))
	}
	if len(res.Changes) == 0 {
		fmt.Fprintf(w, "%s: no change\n", res.User.UserPrincipalName)
	}
	for _, c := range res.Changes {
		fmt.Fprintf(w, "%s: %s %q → %q\n", res.User.UserPrincipalName, c.Field, c.Old, c.New)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	return nil
}

func newUserCreateCmd(g *globals) *cobra.Command {
	var flags changeFlags
	var output string
	cmd := &cobra.Command{
		Use:   "create USERPRINCIPALNAME",
		Short: "Create a user who is not in the directory (cloud-only)",
		Long: `Creates a user that sspr itself owns, for sites or people without a directory account:
every field may then be set (officePhone included). Directory users are added by sspr sync.`,
		Example: `  sspr user create kim@contoso.com --display-name "Kim Lee" --mobile-phone "+1 4255550199" --alternate-emails kim@example.org`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, _, err := a.admin()
			if err != nil {
				return err
			}
			res, err := svc.Create(cmd.Context(), cliActor(), args[0], flags.change(cmd.Flags()))
			if err != nil {
				return adminError(args[0], err)
			}
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), userview.FromStore(res.User))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: created\n", res.User.UserPrincipalName)
			for _, c := range res.Changes {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s: %q\n", c.Field, c.New)
			}
			for _, n := range res.Notes {
				fmt.Fprintf(cmd.OutOrStdout(), "  note: %s\n", n)
			}
			return nil
		},
	}
	flags.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newUserDeleteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete USERPRINCIPALNAME",
		Short: "Delete a user who is not in the directory",
		Long: `Deletes a cloud-only user with everything that belongs to it (registration, sessions).
Users synchronized from the directory cannot be deleted here: the sync owns them (remove them from
the directory or from the sync's scope).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, _, err := a.admin()
			if err != nil {
				return err
			}
			if err := svc.Delete(cmd.Context(), cliActor(), args[0], 0); err != nil {
				return adminError(args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: deleted\n", args[0])
			return nil
		},
	}
	return cmd
}
