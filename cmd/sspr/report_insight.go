package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/reminder"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

// sinceFlag parses --since (days, 30d, or a duration, 36h; at most 366d) into the start time.
func sinceFlag(s string, now time.Time) (time.Time, error) {
	d, err := reminder.ParseWithin(s)
	if err != nil {
		return time.Time{}, usagef("--since %v", err)
	}
	return now.Add(-d), nil
}

// reportRun is what the coverage, activity and deliveries commands start from: the output
// format, the window [from, now) of --since, and the store opened for reading.
type reportRun struct {
	f         format
	from, now time.Time
	a         *app
}

func openReport(cmd *cobra.Command, g *globals, output, since string) (reportRun, error) {
	f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
	if err != nil {
		return reportRun{}, err
	}
	now := time.Now()
	from, err := sinceFlag(since, now)
	if err != nil {
		return reportRun{}, err
	}
	a, err := g.openExisting(cmd.Context())
	if err != nil {
		return reportRun{}, err
	}
	return reportRun{f: f, from: from, now: now, a: a}, nil
}

func newCoverageCmd(g *globals) *cobra.Command {
	var output, since string
	var never bool
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "Registration coverage: who registered what and when, who never registered (never a value, question or answer)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rr, err := openReport(cmd, g, output, since)
			if err != nil {
				return err
			}
			defer rr.a.Close()
			f, from, a := rr.f, rr.from, rr.a
			out := cmd.OutOrStdout()
			keep := func(r report.CoverageRow) bool { return !never || !r.Registered && r.AccountEnabled }
			if f == formatJSON {
				rows := []report.CoverageRow{}
				t, err := report.Coverage(cmd.Context(), a.store, store.UserFilter{}, from, func(r report.CoverageRow) error {
					if keep(r) {
						rows = append(rows, r)
					}
					return nil
				})
				if err != nil {
					return err
				}
				return writeJSON(out, struct {
					Since  time.Time             `json:"since"`
					Users  []report.CoverageRow  `json:"users"`
					Totals report.CoverageTotals `json:"totals"`
				}{from.UTC(), rows, t})
			}
			rw, err := newRowWriter(out, f, []string{"userPrincipalName", "displayName", "accountEnabled", "registered",
				store.FieldAuthenticationPhone, store.FieldAuthenticationEmail, report.FieldSecurityQuestions, "registeredAt"})
			if err != nil {
				return err
			}
			t, err := report.Coverage(cmd.Context(), a.store, store.UserFilter{}, from, func(r report.CoverageRow) error {
				if !keep(r) {
					return nil
				}
				has := func(field string) string {
					for _, x := range r.RegisteredFields {
						if x == field {
							return "yes"
						}
					}
					return "no"
				}
				at := ""
				if r.RegisteredAt != nil {
					at = r.RegisteredAt.Format(time.RFC3339)
				}
				return rw.Write([]string{r.UserPrincipalName, r.DisplayName, strconv.FormatBool(r.AccountEnabled), strconv.FormatBool(r.Registered),
					has(store.FieldAuthenticationPhone), has(store.FieldAuthenticationEmail), strconv.Itoa(r.SecurityQuestions), at})
			})
			if err != nil {
				return err
			}
			if err := rw.Flush(); err != nil {
				return err
			}
			if f == formatTable {
				_, err = cmd.OutOrStdout().Write([]byte("registered: " + strconv.Itoa(t.Registered) + " of " + strconv.Itoa(t.Enabled) +
					" enabled (" + strconv.FormatFloat(t.RegisteredPercent, 'f', 1, 64) + "%); never registered: " + strconv.Itoa(t.Never) +
					"; registered since " + from.UTC().Format(time.DateOnly) + ": " + strconv.Itoa(t.RegisteredInWindow) + "\n"))
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&since, "since", "30d", "the window that dates registrations: days (30d) or a duration (36h), at most 366d")
	cmd.Flags().BoolVar(&never, "never", false, "list only the enabled users who never registered (totals still count everyone)")
	return cmd
}

func newActivityCmd(g *globals) *cobra.Command {
	var output, since string
	cmd := &cobra.Command{
		Use:   "activity",
		Short: "Resets, unlocks and registrations per day, outcome and method, from the audit log",
		Long: `Counts per day (UTC), flow (reset, unlock, register), outcome and method. Resets and unlocks
are counted as flows per user and day: started = done + writebackFailed + throttled + failedProof
+ abandoned (abandoned only for days that are over). methodUsed, methodFailed and codeSent count
events by method; register's outcomes count events.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rr, err := openReport(cmd, g, output, since)
			if err != nil {
				return err
			}
			defer rr.a.Close()
			f, from, now, a := rr.f, rr.from, rr.now, rr.a
			counts, err := report.Activity(cmd.Context(), a.store, from, now)
			if err != nil {
				return err
			}
			rows := report.ActivityRows(counts)
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), struct {
					Since time.Time            `json:"since"`
					Days  []report.ActivityRow `json:"days"`
				}{store.Day(from), rows})
			}
			rw, err := newRowWriter(cmd.OutOrStdout(), f, []string{"day", "flow", "outcome", "method", "count"})
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := rw.Write([]string{r.Day, r.Flow, r.Outcome, r.Method, strconv.Itoa(r.Count)}); err != nil {
					return err
				}
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&since, "since", "30d", "from when: days (30d) or a duration (36h), at most 366d")
	return cmd
}

func newDeliveriesCmd(g *globals) *cobra.Command {
	var output, since string
	var daily bool
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "Outbox deliveries per channel: sent, failed, queued, failed attempts, latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rr, err := openReport(cmd, g, output, since)
			if err != nil {
				return err
			}
			defer rr.a.Close()
			f, from, now, a := rr.f, rr.from, rr.now, rr.a
			channels, days, err := report.Deliveries(cmd.Context(), a.store, from, now)
			if err != nil {
				return err
			}
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), struct {
					Since    time.Time               `json:"since"`
					Channels []report.DeliveryRow    `json:"channels"`
					Days     []report.DeliveryDayRow `json:"days"`
				}{from.UTC(), channels, report.DeliveryDays(days)})
			}
			header := []string{"channel", "sent", "failed", "queued", "attemptErrors", "latencyAvgMs", "latencyMaxMs"}
			rows := make([][]string, 0, len(channels))
			cells := func(r report.DeliveryRow) []string {
				return []string{r.Channel, strconv.Itoa(r.Sent), strconv.Itoa(r.Failed), strconv.Itoa(r.Queued), strconv.Itoa(r.AttemptErrors),
					strconv.FormatFloat(r.LatencyAvgMs, 'f', -1, 64), strconv.FormatFloat(r.LatencyMaxMs, 'f', -1, 64)}
			}
			if daily {
				header = append([]string{"day"}, header...)
				for _, d := range report.DeliveryDays(days) {
					rows = append(rows, append([]string{d.Day}, cells(d.DeliveryRow)...))
				}
			} else {
				for _, c := range channels {
					rows = append(rows, cells(c))
				}
			}
			rw, err := newRowWriter(cmd.OutOrStdout(), f, header)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := rw.Write(r); err != nil {
					return err
				}
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&since, "since", "30d", "messages queued since: days (30d) or a duration (36h), at most 366d")
	cmd.Flags().BoolVar(&daily, "daily", false, "one row per day and channel (table and csv; json always has both)")
	return cmd
}
