package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/admin"
)

func newUserImportCmd(g *globals) *cobra.Command {
	var apply bool
	var output string
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Set many users' fields from a CSV file (dry run unless --apply)",
		Long: `Reads a CSV file with the columns of sspr user list -o csv (a header row of field names; any
subset that includes userPrincipalName) and shows, per row, what would change and what is invalid.
With --apply, and only when no row is invalid, every change is written in one transaction with
its audit events: all or nothing.

A cell equal to what the export shows is no change: an export imported again changes nothing.
Known users are updated with the same rules as sspr user set (officePhone refused for directory
users, phones normalized, emails checked); unknown users are created as cloud users, unless the
row's source column says directory. Columns no administrator sets (authenticationPhone,
authenticationEmail, securityQuestions*, source) are ignored. FILE "-" reads standard input.`,
		Example: `  sspr user list -o csv > users.csv   # edit mobilePhone, officePhone, alternateEmails (a@x;b@y)
  sspr user import users.csv          # dry run: what would change, what is invalid
  sspr user import users.csv --apply`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				file, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer file.Close()
				in = file
			}
			rows, err := admin.ReadCSV(in)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			open := g.openExisting // a dry run only reads
			if apply {
				open = g.open
			}
			a, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, _, err := a.admin()
			if err != nil {
				return err
			}
			rep, err := svc.Import(cmd.Context(), cliActor(), rows, apply)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f == formatJSON {
				if err := writeJSON(out, rep); err != nil {
					return err
				}
			} else {
				writeImport(out, rep, apply)
			}
			if rep.Invalid > 0 {
				return errImportInvalid{rep.Invalid}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "write the changes (all or nothing); without it, a dry run")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

// errImportInvalid: some rows were invalid, nothing was written (exit status 1).
type errImportInvalid struct{ n int }

func (e errImportInvalid) Error() string {
	return fmt.Sprintf("import: %d invalid row(s): nothing was changed", e.n)
}

func writeImport(w io.Writer, rep admin.ImportReport, apply bool) {
	for _, r := range rep.Rows {
		who := r.UserPrincipalName
		if who == "" {
			who = "(no userPrincipalName)"
		}
		fmt.Fprintf(w, "line %d: %s: %s\n", r.Line, who, r.Action)
		for _, c := range r.Changes {
			fmt.Fprintf(w, "    %s: %q → %q\n", c.Field, c.Old, c.New)
		}
		for _, e := range r.Errors {
			fmt.Fprintf(w, "    %s\n", e)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
	}
	counts := fmt.Sprintf("%d created, %d updated, %d unchanged, %d invalid", rep.Created, rep.Updated, rep.Unchanged, rep.Invalid)
	switch {
	case rep.Applied:
		fmt.Fprintf(w, "import applied: %s\n", counts)
	case apply:
		fmt.Fprintf(w, "import not applied (invalid rows): %s; nothing was changed\n", counts)
	default:
		fmt.Fprintf(w, "dry run: %s; nothing was changed (run again with --apply)\n", counts)
	}
}
