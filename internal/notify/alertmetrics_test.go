package notify_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/notify"
)

// TestFailedHook: every failed attempt (retried or given up) calls WorkerOptions.Failed once,
// a delivered one never.
func TestFailedHook(t *testing.T) {
	calls := 0
	fail := 2
	ch := &channel{fn: func(context.Context, notify.Message) error {
		if fail > 0 {
			fail--
			return errors.New("503 busy")
		}
		return nil
	}}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{Failed: func(context.Context, time.Time) { calls++ }})
	e.send(t, smsMsg())
	for range 3 {
		e.deliver(t)
		e.clock.Advance(notify.BackoffMax)
	}
	if calls != 2 {
		t.Errorf("Failed called %d times, want 2", calls)
	}
}

// backlogReader is a fake of notify.BacklogReader.
type backlogReader struct {
	n      int
	oldest time.Time
	err    error
}

func (b backlogReader) OutboxBacklog(context.Context) (int, time.Time, error) {
	return b.n, b.oldest, b.err
}

func TestBacklogMetrics(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    backlogReader
		want string
	}{
		{"empty", backlogReader{}, "sspr_outbox_oldest_age_seconds 0\nsspr_outbox_queued 0\n"},
		{"queued", backlogReader{n: 3, oldest: now.Add(-90 * time.Second)}, "sspr_outbox_oldest_age_seconds 90\nsspr_outbox_queued 3\n"},
		{"store down", backlogReader{err: errors.New("down")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			if err := notify.RegisterBacklog(reg, tt.r, func() time.Time { return now }, nil); err != nil {
				t.Fatal(err)
			}
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, mf := range mfs {
				got += mf.GetName() + " " + strconv.FormatFloat(mf.GetMetric()[0].GetGauge().GetValue(), 'f', -1, 64) + "\n"
			}
			if got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
	if err := notify.RegisterBacklog(prometheus.NewRegistry(), backlogReader{}, nil, nil); err != nil {
		t.Error(err)
	}
}
