package main

import (
	"bufio"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log: resets, registrations, administrators' changes, syncs",
	}
	cmd.AddCommand(newAuditListCmd(g), newAuditVerifyCmd(g))
	return cmd
}

// auditHeader is the columns of `sspr audit list -o table|csv`.
var auditHeader = []string{"id", "time", "type", "actor", "userPrincipalName", "clientIP", "outcome", "details", "userId", "userAgent"}

// auditFlushEvery bounds what the table writer holds: it aligns the columns of each block of
// this many rows, so that a long listing streams.
const auditFlushEvery = 1000

func newAuditListCmd(g *globals) *cobra.Command {
	var output, since, until, clientIP string
	var q store.AuditFilter
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
			}{{"--since", since, &q.Since}, {"--until", until, &q.Until}} {
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
	fl.StringVar(&q.UserPrincipalName, "user", "", "the user's principal name (exact, any case)")
	fl.StringVar(&q.TypePrefix, "type", "", "event types starting with this (reset. or reset.done)")
	fl.StringVar(&q.Actor, "actor", "", "actor: user, sync, system, admin:NAME, cli:NAME; ending with a colon, every actor it starts")
	fl.StringVar(&q.Outcome, "outcome", "", "the event's outcome (done, failedProof, ...)")
	fl.StringVar(&clientIP, "client-ip", "", "client address or network (10.0.0.0/8)")
	fl.IntVar(&q.Limit, "limit", 0, "at most this many events (0: all)")
	return cmd
}

func writeAudit(cmd *cobra.Command, w *bufio.Writer, st store.Audit, f store.AuditFilter, o format) error {
	if o == formatJSON {
		arr := &jsonArray{w: w}
		if err := st.ListAudit(cmd.Context(), f, func(e store.AuditEvent) error {
			return arr.Add(api.NewAuditEventJSON(e))
		}); err != nil {
			return err
		}
		return arr.Close()
	}
	header, row := auditHeader, auditTableRow
	if o == formatCSV {
		header, row = api.AuditCSVHeader, api.AuditCSVRow
	}
	rw, err := newRowWriter(w, o, header)
	if err != nil {
		return err
	}
	n := 0
	err = st.ListAudit(cmd.Context(), f, func(e store.AuditEvent) error {
		if err := rw.Write(row(e)); err != nil {
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

// auditTableRow is e under auditHeader: the CSV's columns without the chain's seq and hash, the
// time to the second.
func auditTableRow(e store.AuditEvent) []string {
	row := api.AuditCSVRow(e)[:len(auditHeader)]
	row[1] = e.Time.UTC().Format(time.RFC3339)
	return row
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's tamper-evident chain; exit status 1 at the first broken link",
		Long: `verify walks the audit log's chain from its anchor (where it starts, or the last event the
retention pruned) to its head, recomputing each event's keyed hash (HMAC-SHA256 with a key derived
from server.secretFile) over its content and the previous event's hash. It reports the first
broken link (the event's ID, seq and time, and what differs: a changed event, deleted events, a
moved anchor, an event written around sspr) and exits 1; an intact chain exits 0. Events written
before the chain began (before the upgrade that added it) are counted, not checked. Keep the head
it prints somewhere else: whoever can write to the store can delete the newest events and move the
head back, which only an earlier head shows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if a.cfg.Server.SecretFile == "" {
				return configError{msg: "server.secretFile is not set: the audit chain's key is derived from the server secret"}
			}
			sk, err := secret.Load(a.cfg.Server.SecretFile)
			if err != nil {
				return configError{err: err}
			}
			r, err := audit.Verify(cmd.Context(), a.store, sk.Derive(audit.Purpose))
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			c := r.Chain
			if c.AnchorSeq > 0 {
				fmt.Fprintf(w, "anchor: seq %d (events before %s pruned)\n", c.AnchorSeq, c.AnchorBefore.UTC().Format(time.RFC3339))
			}
			fmt.Fprintf(w, "head:   seq %d %x\n", c.HeadSeq, c.HeadHash)
			if r.Legacy > 0 {
				fmt.Fprintf(w, "%d events from before the chain began are not checked\n", r.Legacy)
			}
			if r.Broken != nil {
				return fmt.Errorf("audit chain broken after %d good events: %s", r.Checked, r.Broken)
			}
			fmt.Fprintf(w, "ok: %d events checked, the chain holds\n", r.Checked)
			return nil
		},
	}
}
