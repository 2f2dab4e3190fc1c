package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/store"
)

// TestKeepInsights: housekeeping's keepInsights takes one snapshot a day and counts the days
// that are over once, so that the dashboard has its figures.
func TestKeepInsights(t *testing.T) {
	d := newDirectory(t, nil, "")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	g := &globals{configPath: d.cfg}
	cfg, err := g.load()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := newApp(context.Background(), cfg, &logs, storeWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	now := time.Now().UTC()
	yesterday := store.Day(now).Add(-time.Hour)
	for _, e := range []store.AuditEvent{
		{Time: yesterday, Type: "reset.started", UserID: "u1", Details: map[string]string{"outcome": "ok"}},
		{Time: yesterday, Type: "reset.done", UserID: "u1"},
	} {
		if err := a.store.AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	keepInsights(ctx, a, now)
	keepInsights(ctx, a, now.Add(time.Minute)) // again: nothing more to do
	if n := strings.Count(logs.String(), "readiness snapshot taken"); n != 1 {
		t.Errorf("%d snapshots taken, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "daily counts"); n != 1 {
		t.Errorf("days counted %d times, want once:\n%s", n, logs.String())
	}
	dash, err := insight.Dashboard(ctx, a.store, now)
	if err != nil {
		t.Fatal(err)
	}
	if dash.Tiles.UsersInScope == 0 || dash.Tiles.SnapshotAt == nil || dash.Tiles.Resets7 != 1 {
		t.Errorf("dashboard tiles after housekeeping: %+v", dash.Tiles)
	}
	days, err := a.store.CountedDays(ctx, store.Day(yesterday), store.Day(now))
	if err != nil || len(days) != 1 {
		t.Errorf("yesterday counted: %v (%v)", days, err)
	}
}
