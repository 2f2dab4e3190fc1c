package ldap

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// A streamed search reads the directory on its own goroutine while the caller's goroutine
// hands what was read to the Handler, so that the server never waits for the consumer nor
// the consumer for the server:
//
//	goroutine  send request → read messages → decode entries into a batch → send the batch
//	           → at a page's SearchResultDone: send the next page's request at once
//	caller     take a batch → fn(item) for each, in order → give the batch back
//
// Batches live in a fixed set (streamBatches, created as needed): the reader goes at most
// that far ahead (about two pages of a thousand users), then waits for the caller. A message
// larger than a batch is read only after the caller gave every batch back, so at most one
// such message is held. When the caller stops early (its fn failed, ctx was cancelled),
// the connection is closed: the goroutine may be in the middle of a message, and ends at
// once; the connection is not used again.

const (
	// guessEntry: the size of an entry before the first is read (a small one: the read-ahead
	// of a page must not exceed what the page holds).
	guessEntry    = 64
	streamBatches = 8
	batchBytes    = 256 << 10
	batchItems    = 256
	// flushItems: a batch is handed over before the reader waits for the server once it
	// holds this many messages (each hand-over wakes the caller: not for every message).
	flushItems = 32
)

// item is one message of a streamed search. Its slices (and ent's) point into the batch's
// buffer: valid until fn returns.
type item struct {
	op       byte
	ent      *entry // opSearchEntry, decoded
	body     []byte // the protocolOp's value
	controls []byte // the message's controls
}

type batch struct {
	buf   []byte
	items []item
	ents  []entry
	nents int
	// end: the last batch of the stream; err is how it ended (nil: every request done).
	end bool
	err error
}

func (b *batch) reset() {
	if cap(b.buf) > 2*batchBytes {
		b.buf = nil // a large message's buffer: let it go
	}
	b.buf = b.buf[:0]
	b.items = b.items[:0]
	b.nents = 0
}

func (b *batch) entry() *entry {
	if b.nents == len(b.ents) {
		b.ents = append(b.ents, entry{})
	}
	b.nents++
	return &b.ents[b.nents-1]
}

// pager makes the successive requests of one streamed search. It runs on the stream's
// goroutine.
type pager interface {
	// controls are the next request's.
	controls() []goldap.Control
	// done reads a successful SearchResultDone's controls (valid during the call only) and
	// says whether another request follows.
	done(controls []byte) (more bool, err error)
}

// paging pages a search (RFC 2696) with a fresh control per page carrying the cookie of the
// page before. A page that ends without the control fails the search: a cut-off answer
// must never look complete.
type paging struct {
	base   string
	size   uint32
	extra  []goldap.Control
	cookie []byte
	page   int
}

func (p *paging) controls() []goldap.Control {
	c := goldap.NewControlPaging(p.size)
	c.SetCookie(p.cookie)
	return append([]goldap.Control{c}, p.extra...)
}

func (p *paging) done(controls []byte) (bool, error) {
	p.page++
	next, found, err := pagingCookie(controls)
	if err != nil {
		return false, err
	}
	if !found {
		return false, newError(ErrUnreachable, nil, "page %d of %s ended without the paged-results control: the server does not page", p.page, p.base)
	}
	if len(next) == 0 {
		return false, nil
	}
	p.cookie = append(p.cookie[:0], next...)
	return true, nil
}

// once is a single request.
type once []goldap.Control

func (o once) controls() []goldap.Control { return o }
func (o once) done([]byte) (bool, error)  { return false, nil }

// liveStreams counts the stream goroutines running (tests check that none is left).
var liveStreams atomic.Int64

type stream struct {
	c    *conn
	out  chan *batch
	free chan *batch
	quit chan struct{}
	done chan struct{}
	// goroutine's side
	cur     *batch
	spare   []*batch
	created int
	// caller's side
	ended bool
}

// stream starts a search (subtree unless scope says otherwise) on its own goroutine. The
// caller must call run, which always ends the goroutine.
func (c *conn) stream(base string, scope int, filter string, attrs []string, p pager) (*stream, error) {
	fp, err := goldap.CompileFilter(filter)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", filter, err)
	}
	s := &stream{
		c:    c,
		out:  make(chan *batch, streamBatches),
		free: make(chan *batch, streamBatches),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	liveStreams.Add(1)
	go s.read(base, scope, fp, attrs, p)
	return s, nil
}

// run calls fn for every item, in order, on the caller's goroutine, until the search ends,
// fn fails or ctx is done. The goroutine has ended when run returns.
func (s *stream) run(ctx context.Context, fn func(*item) error) error {
	defer s.stop()
	done := ctx.Done()
	for {
		var b *batch
		select {
		case b = <-s.out:
		case <-done:
			return ctx.Err()
		}
		for i := range b.items {
			select {
			case <-done:
				return ctx.Err()
			default:
			}
			if err := fn(&b.items[i]); err != nil {
				return err
			}
		}
		if b.end {
			s.ended = true
			return b.err
		}
		b.reset()
		s.free <- b // never blocks: free has room for every batch
	}
}

func (s *stream) stop() {
	close(s.quit)
	if !s.ended {
		s.c.abort()
	}
	<-s.done
}

// read is the goroutine: it runs the requests and delivers their messages.
func (s *stream) read(base string, scope int, fp *ber.Packet, attrs []string, p pager) {
	defer close(s.done)
	defer liveStreams.Add(-1) // before done is closed
	defer s.c.readAhead(0)
	err := s.requests(base, scope, fp, attrs, p)
	b := s.cur
	if b == nil {
		b = &batch{}
	}
	s.cur = nil
	b.end, b.err = true, err
	select {
	case s.out <- b:
	case <-s.quit:
	}
}

var errQuit = fmt.Errorf("stream stopped by its reader")

func (s *stream) requests(base string, scope int, fp *ber.Packet, attrs []string, p pager) error {
	c := s.c
	// A paged search's reads wait for some KB (conn.readAhead), but never for more than what
	// is left of the page: the entries still expected (the page size, or fewer when the server
	// pages smaller: learnt from the first page) times the smallest entry seen. Once the page
	// has its entries, only its SearchResultDone is left, read at once: the server waits for
	// the next page's request.
	pg, _ := p.(*paging)
	expect, smallest := 0, 0
	if pg != nil {
		expect = int(pg.size)
	}
	entries := 0
	ahead := func() {
		if pg == nil || entries >= expect {
			c.readAhead(0)
			return
		}
		per := smallest
		if per == 0 {
			per = guessEntry
		}
		c.readAhead((expect - entries) * per)
	}
	for {
		c.lastID++
		id := c.lastID
		if err := c.send(searchRequest(id, base, scope, fp, attrs, p.controls()...)); err != nil {
			return err
		}
		entries = 0
		ahead()
		for {
			// Hand over what was read before waiting for the server (unless too little: the
			// caller then gets it with the next messages, which are on their way).
			if s.cur != nil && len(s.cur.items) >= flushItems && c.br.Buffered() == 0 {
				if err := s.flush(); err != nil {
					return err
				}
			}
			m, err := s.readMessage()
			if err != nil {
				return err
			}
			size := len(s.cur.buf) - m.start
			switch {
			case m.id == 0 && m.op == opExtendedResponse:
				return noticeOfDisconnection(m)
			case m.id > 0 && m.id < id: // an earlier search left early
				s.unread(m)
				continue
			case m.id != id:
				return fmt.Errorf("%w: answer to message %d while waiting for %d", errMalformed, m.id, id)
			}
			b := s.cur
			switch m.op {
			case opSearchEntry:
				e := b.entry()
				if err := e.parse(m.body); err != nil {
					return err
				}
				b.items = append(b.items, item{op: m.op, ent: e, body: m.body, controls: m.controls})
				entries++
				if smallest == 0 || size < smallest {
					smallest = size
				}
				ahead()
				continue
			case opIntermediate:
				b.items = append(b.items, item{op: m.op, body: m.body, controls: m.controls})
				continue
			case opSearchReference: // continuation references (AD's other partitions)
				s.unread(m)
				continue
			case opSearchDone:
				c.pageDone(pg != nil && entries >= expect)
			default:
				return fmt.Errorf("%w: op 0x%02x in answer to a search", errMalformed, m.op)
			}
			if err := result(m.body); err != nil {
				return err
			}
			more, err := p.done(m.controls)
			if err != nil {
				return err
			}
			if more && entries > 0 && entries < expect {
				expect = entries // the server's pages are smaller than asked
			}
			b.items = append(b.items, item{op: m.op, body: m.body, controls: m.controls})
			if !more {
				return nil
			}
			break // next request, sent before the caller has seen this page's end
		}
	}
}

// unread drops the last message read from the current batch.
func (s *stream) unread(m message) {
	s.cur.buf = s.cur.buf[:m.start]
}

// readMessage reads the next message into the current batch, flushing it first when the
// message does not fit.
func (s *stream) readMessage() (message, error) {
	c := s.c
	hdr, total, err := c.header()
	if err != nil {
		return message{}, err
	}
	b := s.cur
	if b != nil && len(b.items) > 0 && (total > batchBytes || len(b.items) >= batchItems || len(b.buf)+total > cap(b.buf)) {
		if err := s.flush(); err != nil {
			return message{}, err
		}
		b = nil
	}
	if total > batchBytes {
		// Hold one large message at a time: wait until the caller gave every batch back.
		if err := s.reclaim(); err != nil {
			return message{}, err
		}
	}
	if b == nil {
		if b, err = s.get(); err != nil {
			return message{}, err
		}
		s.cur = b
	}
	start := len(b.buf)
	if cap(b.buf)-start < total {
		nb := make([]byte, start, max(start+total, batchBytes))
		copy(nb, b.buf)
		b.buf = nb
	}
	b.buf = b.buf[:start+total]
	raw := b.buf[start:]
	n := copy(raw, hdr)
	if _, err := io.ReadFull(c.br, raw[n:]); err != nil {
		return message{}, err
	}
	m, err := parseMessage(raw)
	m.start = start
	return m, err
}

// flush hands the current batch to the caller.
func (s *stream) flush() error {
	b := s.cur
	s.cur = nil
	select {
	case s.out <- b:
		return nil
	case <-s.quit:
		return errQuit
	}
}

// get returns an empty batch: a spare one, a new one while fewer than streamBatches exist,
// or the next one the caller gives back.
func (s *stream) get() (*batch, error) {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b, nil
	}
	select {
	case b := <-s.free:
		return b, nil
	default:
	}
	if s.created < streamBatches {
		s.created++
		return &batch{buf: make([]byte, 0, batchBytes), ents: make([]entry, 0, batchItems)}, nil
	}
	select {
	case b := <-s.free:
		return b, nil
	case <-s.quit:
		return nil, errQuit
	}
}

// reclaim waits until every batch is back from the caller.
func (s *stream) reclaim() error {
	held := 0
	if s.cur != nil {
		held = 1
	}
	for len(s.spare)+held < s.created {
		select {
		case b := <-s.free:
			s.spare = append(s.spare, b)
		case <-s.quit:
			return errQuit
		}
	}
	return nil
}
