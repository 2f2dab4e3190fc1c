package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/reminder"
)

func newExpiryCmd(g *globals) *cobra.Command {
	var output, within string
	cmd := &cobra.Command{
		Use:   "expiry",
		Short: "Users whose password expires within a window (expired ones included), soonest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
			if err != nil {
				return err
			}
			d, err := reminder.ParseWithin(within)
			if err != nil {
				return usagef("--within %v", err)
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			rows, err := reminder.Expiring(cmd.Context(), a.store, time.Now(), d)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f == formatJSON {
				return writeJSON(out, struct {
					Users []reminder.Expiry `json:"users"`
				}{rows})
			}
			rw, err := newRowWriter(out, f, []string{"userPrincipalName", "displayName", "accountEnabled", "passwordExpiresAt", "daysLeft", "expired"})
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := rw.Write([]string{r.UserPrincipalName, r.DisplayName, strconv.FormatBool(r.AccountEnabled),
					r.PasswordExpiresAt.Format(time.RFC3339), strconv.Itoa(r.DaysLeft), strconv.FormatBool(r.Expired)}); err != nil {
					return err
				}
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&within, "within", "14d", "the window: days (14d) or a duration (36h), at most 366d")
	return cmd
}
