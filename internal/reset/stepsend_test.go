package reset

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// stepOutbox is a flow.StepSender: the step writes its messages (bodies unsealed here) into
// the store's outbox; Queued counts the wake-ups.
type stepOutbox struct {
	woken atomic.Int64
}

func (o *stepOutbox) Send(context.Context, flow.Message) error {
	return errors.New("stepOutbox: Send called; the step should write its messages itself")
}

func (o *stepOutbox) Prepare(m flow.Message) (*store.Message, error) {
	return &store.Message{Channel: m.Channel, To: m.To, Subject: m.Subject, Body: []byte(m.Body), Language: m.Language}, nil
}

func (o *stepOutbox) Queued() { o.woken.Add(1) }

func queued(t *testing.T, f *fixture) []store.Message {
	t.Helper()
	now := time.Now() // the store stamps the messages with its clock
	msgs, err := f.st.ClaimMessages(context.Background(), now.Add(time.Hour), now.Add(2*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestSendWritesCodeWithSession: with a StepSender the code, its message and the audit event
// are written with the session; the code sent is the one that verifies.
func TestSendWritesCodeWithSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	out := &stepOutbox{}
	f.svc = f.service(flow.DefaultPolicy(), out)
	token, _, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SendCode(ctx, token, "sms", f.c); err != nil {
		t.Fatal(err)
	}
	msgs := queued(t, f)
	if len(msgs) != 1 || msgs[0].Channel != "sms" || msgs[0].To != "+14255550100" || out.woken.Load() != 1 {
		t.Fatalf("queued %+v, woken %d; want one SMS and one wake-up", msgs, out.woken.Load())
	}
	code := codeRE.FindString(string(msgs[0].Body))
	if v, err := f.svc.VerifyCode(ctx, token, "sms", code, f.c); err != nil || !v.Ready {
		t.Fatalf("verify the queued code: %+v, %v", v, err)
	}
	// A decoy writes a code and no message.
	decoy, _, err := f.svc.Start(ctx, KindReset, "nobody@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.View(ctx, decoy)
	if err != nil || len(v.Options) == 0 {
		t.Fatalf("decoy view %+v, %v", v, err)
	}
	if _, err := f.svc.SendCode(ctx, decoy, v.Options[0].ID, f.c); err != nil {
		t.Fatal(err)
	}
	if msgs := queued(t, f); len(msgs) != 0 || out.woken.Load() != 1 {
		t.Errorf("a decoy queued %+v (woken %d)", msgs, out.woken.Load())
	}
}

// TestConcurrentSendsQueueOnlySavedSteps: sends racing on one session queue exactly one message
// per send that was saved; one that lost the race (a conflict) queued nothing.
func TestConcurrentSendsQueueOnlySavedSteps(t *testing.T) {
	ctx := context.Background()
	policy := flow.DefaultPolicy()
	policy.Throttle.Phone.Max = 100
	f := newFixture(t, policy)
	out := &stepOutbox{}
	f.svc = f.service(policy, out)
	token, _, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var (
		wg       sync.WaitGroup
		saved    atomic.Int64
		conflict atomic.Int64
	)
	for range n {
		wg.Go(func() {
			_, err := f.svc.SendCode(ctx, token, "sms", f.c)
			var fe *flow.Error
			switch {
			case err == nil:
				saved.Add(1)
			case errors.As(err, &fe) && fe.Kind == flow.KindConflict:
				conflict.Add(1)
			default:
				t.Errorf("send: %v", err)
			}
		})
	}
	wg.Wait()
	msgs := queued(t, f)
	if int64(len(msgs)) != saved.Load() || saved.Load() == 0 || saved.Load()+conflict.Load() != n || out.woken.Load() != saved.Load() {
		t.Fatalf("%d saved, %d conflicts, %d messages queued, %d wake-ups; want one message and wake-up per saved send",
			saved.Load(), conflict.Load(), len(msgs), out.woken.Load())
	}
	t.Logf("%d of %d sends saved, %d lost the race", saved.Load(), n, conflict.Load())
	// Only the last saved code is live: it verifies.
	last := codeRE.FindString(string(msgs[len(msgs)-1].Body))
	if v, err := f.svc.VerifyCode(ctx, token, "sms", last, f.c); err != nil || !v.Ready {
		t.Fatalf("verify the last code: %+v, %v", v, err)
	}
}
