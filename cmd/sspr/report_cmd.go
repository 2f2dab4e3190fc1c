package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

func newReportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Reports for administrators"}
	cmd.AddCommand(newReadinessCmd(g))
	cmd.AddCommand(newExpiryCmd(g))
	cmd.AddCommand(newCoverageCmd(g), newActivityCmd(g), newDeliveriesCmd(g))
	return cmd
}

func newReadinessCmd(g *globals) *cobra.Command {
	var output string
	var notReady bool
	cmd := &cobra.Command{
		Use:   "readiness",
		Short: "Who can reset a password today without registering, by which method, and why not",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
			if err != nil {
				return err
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			return writeReadiness(cmd, a.store, a.cfg.Reset, f, notReady)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().BoolVar(&notReady, "not-ready", false, "list only users who cannot reset today (totals still count everyone)")
	return cmd
}

var readinessHeader = []string{"userPrincipalName", "displayName", "accountEnabled", "ready", "required", "email", "sms", "voice", "questions", "missing", "problems", "password"}

func writeReadiness(cmd *cobra.Command, users report.Lister, p flow.Policy, f format, notReady bool) error {
	out := cmd.OutOrStdout()
	keep := func(r report.Readiness) bool { return !notReady || !r.Ready }
	if f == formatJSON {
		var rows []report.Readiness
		t, err := report.Build(cmd.Context(), users, p, store.UserFilter{}, func(r report.Readiness) error {
			if keep(r) {
				rows = append(rows, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []report.Readiness{}
		}
		return writeJSON(out, struct {
			Users  []report.Readiness `json:"users"`
			Totals report.TotalsJSON  `json:"totals"`
		}{rows, t.JSON()})
	}
	rw, err := newRowWriter(out, f, readinessHeader)
	if err != nil {
		return err
	}
	t, err := report.Build(cmd.Context(), users, p, store.UserFilter{}, func(r report.Readiness) error {
		if !keep(r) {
			return nil
		}
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		return rw.Write([]string{r.UserPrincipalName, r.DisplayName, yes(r.AccountEnabled), yes(r.Ready), strconv.Itoa(r.Required),
			yes(r.Has(flow.MethodEmail)), yes(r.Has(flow.MethodSMS)), yes(r.Has(flow.MethodVoice)), yes(r.Has(flow.MethodQuestions)),
			r.Missing, strings.Join(r.Problems, "; "), r.Password})
	})
	if err != nil {
		return err
	}
	if err := rw.Flush(); err != nil {
		return err
	}
	if f == formatTable {
		writeTotals(out, t)
	}
	return nil
}

func writeTotals(w io.Writer, t report.Totals) {
	fmt.Fprintf(w, "\n%d users: %d enabled, %d disabled\n", t.Users, t.Enabled, t.Disabled)
	fmt.Fprintf(w, "ready under the current policy: %d of %d enabled (%.1f%%); not ready: %d (%.1f%%)\n",
		t.Ready, t.Enabled, t.Percent(t.Ready), t.NotReady, t.Percent(t.NotReady))
	fmt.Fprintln(w, "coverage by method (enabled users the flow would offer it to):")
	for _, m := range flow.AllMethods {
		fmt.Fprintf(w, "  %-9s %6d (%.1f%%)\n", m, t.ByMethod[m], t.Percent(t.ByMethod[m]))
	}
	if len(t.Shared) > 0 {
		fmt.Fprintln(w, "numbers shared by more users than reset.sharedNumbers.max (not offered for reset):")
		for _, sn := range t.Shared {
			fmt.Fprintf(w, "  %s: %d users: %s\n", sn.Number, len(sn.Users), strings.Join(sn.Users, ", "))
		}
	}
}
