package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
)

func newSyncCmd(g *globals) *cobra.Command {
	var opts syncer.Options
	var verbose, quiet, schedule bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Synchronize users from the directory (delta when possible)",
		Long: `Reads the users in scope from the directory and updates the store in one all-or-nothing
transaction. A run that would delete more than sync.deleteThreshold users changes nothing
(exit status 3) unless --allow-deletes is given. --dry-run shows what would change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if schedule {
				return runScheduled(cmd.Context(), a, opts, cmd.OutOrStdout())
			}
			return runSync(cmd.Context(), a, opts, cmd.OutOrStdout(), verbose || opts.DryRun, quiet)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.DryRun, "dry-run", false, "show what would change, change nothing")
	f.BoolVar(&opts.Full, "full", false, "read every user, ignoring the delta watermark")
	f.BoolVar(&opts.AllowDeletes, "allow-deletes", false, "override the accidental-delete guard for this run")
	f.BoolVarP(&verbose, "verbose", "v", false, "list every change")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	f.BoolVar(&schedule, "schedule", false, "keep running: sync now and then every sync.interval until stopped (SIGTERM/Ctrl-C)")
	cmd.AddCommand(newSyncRunsCmd(g))
	return cmd
}

func runSync(ctx context.Context, a *app, opts syncer.Options, out io.Writer, listChanges, quiet bool) error {
	// The summary below says what the engine's "sync run" log line would: print it once.
	eng, err := a.engineLogging(slog.New(warnOnly{a.log.Handler()}))
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("syncing users"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("users"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		opts.OnProgress = func(n int) { _ = bar.Set(n) }
	}
	if listChanges {
		opts.OnChange = func(c syncer.Change) {
			if bar != nil {
				_ = bar.Clear()
			}
			printChange(out, c)
		}
	}
	rep, err := eng.Run(ctx, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	for i, r := range rep.Rejections {
		if i == 20 && !listChanges {
			fmt.Fprintf(out, "  ... and %d more (sspr report readiness shows every unusable value)\n", rep.Run.Rejected+rep.UnusableValues-20)
			break
		}
		what := "rejected" // the whole entry: no user written
		if r.Field != "" {
			what = "unusable" // one value left out of a user who was written
		}
		fmt.Fprintf(out, "  %s: %s\n", what, r)
	}
	line := summary(rep.Run)
	if rep.UnusableValues > 0 {
		line += fmt.Sprintf("; %d unusable values left out", rep.UnusableValues)
	}
	fmt.Fprintln(out, line)
	return err
}

func printChange(w io.Writer, c syncer.Change) {
	sign := map[syncer.ChangeKind]string{syncer.Add: "+", syncer.Update: "~", syncer.Delete: "-"}[c.Kind]
	fmt.Fprintf(w, "%s %s (%s)\n", sign, c.UserPrincipalName, c.DN)
	for _, f := range c.Fields {
		fmt.Fprintf(w, "    %s: %q → %q\n", f.Field, f.Old, f.New)
	}
}

// runScheduled syncs every sync.interval until ctx ends. A failed or refused run is reported
// and the schedule goes on: the next run may succeed (directory back, guard overridden).
func runScheduled(ctx context.Context, a *app, opts syncer.Options, out io.Writer) error {
	t := time.NewTicker(a.cfg.Sync.Interval)
	defer t.Stop()
	for {
		if err := runSync(ctx, a, opts, out, false, true); err != nil && ctx.Err() == nil {
			a.log.Error("scheduled sync failed", "err", err, "next", time.Now().Add(a.cfg.Sync.Interval).Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// summary is the one line every run prints.
func summary(r store.SyncRun) string {
	d := ""
	if r.FinishedAt != nil {
		d = " in " + r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
	}
	return fmt.Sprintf("sync %s %s%s: %d added, %d updated, %d deleted, %d unchanged, %d entries rejected",
		r.Mode, r.Status, d, r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected)
}

func newSyncRunsCmd(g *globals) *cobra.Command {
	var output string
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded sync runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			runs, err := a.store.ListRuns(cmd.Context(), limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f == formatJSON {
				views := make([]syncer.RunJSON, 0, len(runs))
				for _, r := range runs {
					views = append(views, syncer.NewRunJSON(r))
				}
				return writeJSON(out, views)
			}
			rw, _ := newRowWriter(out, formatTable, []string{"ID", "STARTED", "DURATION", "MODE", "STATUS", "ADDED", "UPDATED", "DELETED", "UNCHANGED", "REJECTED", "ERROR"})
			for _, r := range runs {
				dur := ""
				if r.FinishedAt != nil {
					dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				first := ""
				if len(r.Errors) > 0 {
					first = r.Errors[0]
					if len(first) > 80 {
						first = first[:77] + "..."
					}
				}
				_ = rw.Write([]string{fmt.Sprint(r.ID), r.StartedAt.Local().Format(time.DateTime), dur, r.Mode, string(r.Status),
					fmt.Sprint(r.Added), fmt.Sprint(r.Updated), fmt.Sprint(r.Deleted), fmt.Sprint(r.Unchanged), fmt.Sprint(r.Rejected), first})
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many runs")
	return cmd
}
