package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

func newReportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Reports for administrators"}
	cmd.AddCommand(newReadinessCmd(g))
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
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			return writeReadiness(cmd, a.store, f, notReady)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().BoolVar(&notReady, "not-ready", false, "list only users who cannot reset today (totals still count everyone)")
	return cmd
}

var readinessHeader = []string{"userPrincipalName", "displayName", "accountEnabled", "ready", "sms", "voice", "email", "problems"}

func writeReadiness(cmd *cobra.Command, users report.Lister, f format, notReady bool) error {
	out := cmd.OutOrStdout()
	keep := func(r report.Readiness) bool { return !notReady || !r.Ready }
	if f == formatJSON {
		var rows []report.Readiness
		t, err := report.Build(cmd.Context(), users, store.UserFilter{}, func(r report.Readiness) error {
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
	t, err := report.Build(cmd.Context(), users, store.UserFilter{}, func(r report.Readiness) error {
		if !keep(r) {
			return nil
		}
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		return rw.Write([]string{r.UserPrincipalName, r.DisplayName, yes(r.AccountEnabled), yes(r.Ready),
			yes(r.Has(report.SMS)), yes(r.Has(report.Voice)), yes(r.Has(report.Email)), strings.Join(r.Problems, "; ")})
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
	fmt.Fprintf(w, "can reset today without registering: %d of %d enabled (%.1f%%); cannot: %d (%.1f%%)\n",
		t.Ready, t.Enabled, t.Percent(t.Ready), t.NotReady, t.Percent(t.NotReady))
	for _, m := range report.Methods {
		fmt.Fprintf(w, "  %-6s %6d (%.1f%%)\n", m, t.ByMethod[m], t.Percent(t.ByMethod[m]))
	}
}
