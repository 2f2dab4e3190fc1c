package notify_test

import (
	"context"
	"fmt"
	"os"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/console"
)

// The web flow queues a code with Outbox.Send; the worker delivers it through the channel
// configured for sms (here the console, as in the demo).
func Example() {
	ctx := context.Background()
	q := newMemQueue() // in production: the store's Outbox (sqlite or postgres)
	sealer, err := notify.NewSealer([]byte("a server secret of at least 32 bytes"))
	if err != nil {
		panic(err)
	}
	outbox := notify.NewOutbox(q, sealer, nil)
	worker := notify.NewWorker(q, sealer, map[string]notify.Channel{
		notify.ChannelSMS: console.New(os.Stdout),
	}, notify.WorkerOptions{}, nil)

	id, err := outbox.Send(ctx, notify.Message{Channel: notify.ChannelSMS, To: "+14255550100", Body: "Your sspr code is 482913"})
	if err != nil {
		panic(err)
	}
	worker.Notify() // Run would deliver at once; here one pass by hand:
	delivered, failed, err := worker.DeliverDue(ctx)
	fmt.Println(id, delivered, failed, err)
	// Output:
	// ┌─ sspr sms to +14255550100
	// │ Your sspr code is 482913
	// └─
	// 1 1 0 <nil>
}
