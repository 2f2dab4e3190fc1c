package syncer

import (
	"context"
	"runtime"
	"sync"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/store"
)

// job is one new or changed record on its way through the pipeline.
type job struct {
	rec        directory.Record
	fp         uint64
	found      bool // a stored user has this anchor
	user       *store.User
	rejections []Rejection
	done       chan struct{}
}

// pipeline builds records on one worker per CPU (validating and normalizing phones costs ~15 µs
// a number, most of a full sync) and hands them back to apply in submission order, on the
// caller's goroutine, so every store write stays on the transaction's goroutine and in the
// directory's order. At most maxInFlight records are held at once: memory stays bounded.
type pipeline struct {
	build func(directory.Record) (*store.User, []Rejection)
	apply func(context.Context, *job, bool) error
	jobs  chan *job
	queue []*job // submitted, not yet applied, in order
	wg    sync.WaitGroup
	once  sync.Once
}

const maxInFlight = 512

func newPipeline(build func(directory.Record) (*store.User, []Rejection), apply func(context.Context, *job, bool) error) *pipeline {
	p := &pipeline{build: build, apply: apply, jobs: make(chan *job, maxInFlight)}
	workers := max(1, runtime.GOMAXPROCS(0))
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				j.user, j.rejections = p.build(j.rec)
				close(j.done)
			}
		}()
	}
	return p
}

// submit queues a record and applies whatever is ready at the head of the queue.
func (p *pipeline) submit(ctx context.Context, j *job) error {
	j.done = make(chan struct{})
	p.jobs <- j
	p.queue = append(p.queue, j)
	for len(p.queue) > 0 {
		head := p.queue[0]
		if len(p.queue) < maxInFlight {
			select {
			case <-head.done:
			default:
				return nil // not ready; keep reading the directory
			}
		} else {
			select {
			case <-head.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := p.pop(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (p *pipeline) pop(ctx context.Context) error {
	head := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0] // let the backing array go
	}
	return p.apply(ctx, head, true)
}

// drain applies everything still queued.
func (p *pipeline) drain(ctx context.Context) error {
	for len(p.queue) > 0 {
		select {
		case <-p.queue[0].done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := p.pop(ctx); err != nil {
			return err
		}
	}
	return nil
}

// stop ends the workers; safe to call more than once.
func (p *pipeline) stop() {
	p.once.Do(func() {
		close(p.jobs)
		p.wg.Wait()
	})
}
