package main

import (
	"bufio"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/store"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log: resets, registrations, administrators' changes, syncs",
	}
	cmd.AddCommand(newAuditListCmd(g))
	return cmd
}

// auditHeader is the columns of `sspr audit list -o table|csv`.
var auditHeader = []string{"id", "time", "type", "actor", "userPrincipalName", "clientIP", "outcome", "details", "userId", "userAgent"}

// auditFlushEvery bounds what the table writer holds: it aligns the columns of each block of
// this many rows, so that a long listing streams.
const auditFlushEvery = 1000

func newAuditListCmd(g *globals) *cobra.Command {
	var output, since, until, clientIP string
	var q api.AuditQuery
	cmd := &cobra.Command{
		Use:   "list [--since 7d|RFC3339] [--until ...] [--user UPN] [--type PREFIX] [--actor A] [--outcome O] [--client-ip IP] [--limit N]",
		Short: "List audit events, newest first",
		Long: `list writes the audit events that match every filter given, newest first, as they are read
(a whole export streams). --since and --until take an RFC 3339 time or an age before now
(7d, 24h, 30m). --type keeps the events whose type starts with it (reset. for every reset event);
--actor matches exactly (user, sync, admin:helpdesk), or every actor it starts when it ends
with a colon (admin:); --outcome matches the event's outcome detail; --client-ip takes an
address or a network (10.0.0.0/8). Events never hold a secret; phone numbers in them are masked.`,
		Example: `  sspr audit list --since 7d --user alice@example.org --type reset.done
  sspr audit list --since 2026-01-01T00:00:00Z --until 2026-02-01T00:00:00Z -o csv > january.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
			if err != nil {
				return err
			}
			now := time.Now()
			for _, t := range []struct {
				flag, value string
				dst         *time.Time
			}{{"--since", since, &q.Filter.Since}, {"--until", until, &q.Filter.Until}} {
				if t.value == "" {
					continue
				}
				if *t.dst, err = api.ParseAuditTime(t.value, now); err != nil {
					return usagef("%s %v", t.flag, err)
				}
			}
			if clientIP != "" {
				if q.ClientIP, err = api.ParseAuditClientIP(clientIP); err != nil {
					return usagef("--client-ip %v", err)
				}
			}
			if q.Limit < 0 {
				return usagef("--limit %d: 0 (no limit) or more", q.Limit)
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			bw := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
			if err := writeAudit(cmd, bw, a.store, q, f); err != nil {
				bw.Flush()
				return err
			}
			return bw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&output, "output", "o", "table", "table, json or csv")
	fl.StringVar(&since, "since", "", "events at or after: an RFC 3339 time or an age (7d, 24h, 30m)")
	fl.StringVar(&until, "until", "", "events at or before: an RFC 3339 time or an age (7d, 24h, 30m)")
	fl.StringVar(&q.Filter.UserPrincipalName, "user", "", "the user's principal name (exact, any case)")
	fl.StringVar(&q.Filter.TypePrefix, "type", "", "event types starting with this (reset. or reset.done)")
	fl.StringVar(&q.Actor, "actor", "", "actor: user, sync, system, admin:NAME, cli:NAME; ending with a colon, every actor it starts")
	fl.StringVar(&q.Outcome, "outcome", "", "the event's outcome (done, failedProof, ...)")
	fl.StringVar(&clientIP, "client-ip", "", "client address or network (10.0.0.0/8)")
	fl.IntVar(&q.Limit, "limit", 0, "at most this many events (0: all)")
	return cmd
}

func writeAudit(cmd *cobra.Command, w *bufio.Writer, st store.Audit, q api.AuditQuery, f format) error {
	if f == formatJSON {
		arr := &jsonArray{w: w}
		if err := api.ListAudit(cmd.Context(), st, q, func(e store.AuditEvent) error {
			return arr.Add(api.NewAuditEventJSON(e))
		}); err != nil {
			return err
		}
		return arr.Close()
	}
	rw, err := newRowWriter(w, f, auditHeader)
	if err != nil {
		return err
	}
	n := 0
	err = api.ListAudit(cmd.Context(), st, q, func(e store.AuditEvent) error {
		if err := rw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339), e.Type, e.Actor, e.UserPrincipalName,
			e.ClientIP, e.Details["outcome"], auditDetails(e.Details), e.UserID, e.UserAgent}); err != nil {
			return err
		}
		if n++; n%auditFlushEvery == 0 {
			return rw.Flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return rw.Flush()
}

// auditDetails writes details as key=value pairs in key order, outcome left out (it has a
// column of its own).
func auditDetails(d map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if k != "outcome" {
			parts = append(parts, k+"="+d[k])
		}
	}
	return strings.Join(parts, " ")
}
