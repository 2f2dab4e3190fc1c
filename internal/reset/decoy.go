package reset

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Decoys is a model of the methods pages real users see, from which the pages of names that
// match nobody (and of users who cannot reset) are drawn: the same country codes, number
// lengths, email domains, method combinations and counts as the real population, in the same
// proportions, so that one methods page does not tell a real name from an unknown one. Only
// digits and letters that are hidden or random in real hints are random here; the same name
// always draws the same page while the population stays the same. Safe for concurrent use.
type Decoys struct {
	mu     sync.RWMutex
	shapes []shape
	cum    []uint64 // cumulative counts: shape i is drawn for r in [cum[i-1], cum[i])
	// the sets of questions real users registered, and how many registered each: a decoy
	// "registered" one of them, in these proportions (popular questions, and the ones chosen
	// together, come up as often as for real users).
	questions map[string]int
}

// questionCounter is the store's count of registered question sets (store.Answers).
type questionCounter interface {
	QuestionSets(ctx context.Context) (map[string]int, error)
}

// shape is what one real user's methods page shows, with the values that identify them left
// out.
type shape struct {
	required int
	opts     []shapeOpt
}

type shapeOpt struct {
	id, method string
	// email: the domain, and whether the address's first letter is the name's (a real
	// "alice.private@…" of alice shows "a•••@…"); phone: the country code, the national
	// number's length, and which of the page's numbers it is; questions: the hint.
	domain  string
	initial bool
	cc      string
	natLen  int
	number  int
	hint    string
}

func (s shape) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", s.required)
	for _, o := range s.opts {
		fmt.Fprintf(&b, "|%s,%s,%s,%t,%s,%d,%d,%s", o.id, o.method, o.domain, o.initial, o.cc, o.natLen, o.number, o.hint)
	}
	return b.String()
}

// shapeOf is the shape of a real user's options.
func shapeOf(u store.User, d flow.Decision) (shape, bool) {
	sh := shape{required: d.Required}
	numbers := map[string]int{}
	for _, o := range d.Options {
		so := shapeOpt{id: o.ID, method: o.Method}
		switch o.Method {
		case flow.MethodEmail:
			at := strings.LastIndexByte(o.Dest, '@')
			if at <= 0 {
				return shape{}, false
			}
			so.domain = strings.ToLower(o.Dest[at+1:])
			so.initial = sameInitial(o.Dest, u.UserPrincipalName)
		case flow.MethodSMS, flow.MethodVoice:
			cc, national, ok := strings.Cut(strings.TrimPrefix(o.Dest, "+"), " ")
			if !ok {
				return shape{}, false
			}
			so.cc, so.natLen = cc, len(national)
			n, seen := numbers[o.Dest]
			if !seen {
				n = len(numbers)
				numbers[o.Dest] = n
			}
			so.number = n
		default:
			so.hint = o.Hint
		}
		sh.opts = append(sh.opts, so)
	}
	return sh, len(sh.opts) > 0
}

func sameInitial(a, b string) bool {
	ra, _ := utf8.DecodeRuneInString(a)
	rb, _ := utf8.DecodeRuneInString(b)
	return unicode.ToLower(ra) == unicode.ToLower(rb)
}

// Build reads every user and replaces the model with the shapes of those who can reset
// under p (privilege read from the synced record; holders as the flow counts them).
func (d *Decoys) Build(ctx context.Context, st flow.UserLister, p flow.Policy, holders func(string) int) error {
	p = p.WithDefaults()
	counts := map[string]int{}
	shapes := map[string]shape{}
	err := st.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		if !u.AccountEnabled {
			return nil
		}
		dec := flow.Methods(u, p, flow.Facts{Privileged: u.Privileged, Holders: holders, Quiet: true})
		if !dec.Ready {
			return nil
		}
		sh, ok := shapeOf(u, dec)
		if !ok {
			return nil
		}
		k := sh.key()
		counts[k]++
		shapes[k] = sh
		return nil
	})
	if err != nil {
		return fmt.Errorf("decoys: %w", err)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same population gives the same model
	var list []shape
	var cum []uint64
	var total uint64
	for _, k := range keys {
		total += uint64(counts[k])
		list = append(list, shapes[k])
		cum = append(cum, total)
	}
	var questions map[string]int
	if qc, ok := st.(questionCounter); ok {
		if questions, err = qc.QuestionSets(ctx); err != nil {
			return fmt.Errorf("decoys: %w", err)
		}
	}
	d.mu.Lock()
	d.shapes, d.cum, d.questions = list, cum, questions
	d.mu.Unlock()
	return nil
}

// drawQuestions draws a set of n questions real users registered, in their proportions, keyed
// by the name (the same name, the same questions); nil when no such set is known.
func (d *Decoys) drawQuestions(key []byte, name string, n int, usable func(string) bool) []string {
	if d == nil {
		return nil
	}
	d.mu.RLock()
	counts := d.questions
	d.mu.RUnlock()
	var sets []string
	var total uint64
	for set, c := range counts {
		keys := strings.Split(set, "\n")
		if len(keys) != n || !allUsable(keys, usable) {
			continue
		}
		sets = append(sets, set)
		total += uint64(c)
	}
	if total == 0 {
		return nil
	}
	sort.Strings(sets)
	r := newStream(key, "decoy-questions:"+strings.ToLower(name)).uint64() % total
	for _, set := range sets {
		if r < uint64(counts[set]) {
			return strings.Split(set, "\n")
		}
		r -= uint64(counts[set])
	}
	return nil
}

func allUsable(keys []string, usable func(string) bool) bool {
	for _, k := range keys {
		if !usable(k) {
			return false
		}
	}
	return true
}

// Refresh builds the model now and then every interval until ctx ends.
func (d *Decoys) Refresh(ctx context.Context, st flow.UserLister, p flow.Policy, holders func(string) int, interval time.Duration, onErr func(error)) {
	if err := d.Build(ctx, st, p, holders); err != nil && onErr != nil {
		onErr(err)
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := d.Build(ctx, st, p, holders); err != nil && onErr != nil && ctx.Err() == nil {
					onErr(err)
				}
			}
		}
	}()
}

// draw returns the decoy page of name (nil when the model is empty): its options and the
// methods required.
func (d *Decoys) draw(key []byte, name string) ([]flow.Option, int) {
	if d == nil {
		return nil, 0
	}
	d.mu.RLock()
	shapes, cum := d.shapes, d.cum
	d.mu.RUnlock()
	if len(shapes) == 0 {
		return nil, 0
	}
	rnd := newStream(key, "decoy-page:"+strings.ToLower(name))
	r := rnd.uint64() % cum[len(cum)-1]
	sh := shapes[sort.Search(len(cum), func(i int) bool { return cum[i] > r })]
	digits := map[int]string{}
	var out []flow.Option
	for _, o := range sh.opts {
		opt := flow.Option{ID: o.id, Method: o.method, Field: "decoy"}
		switch o.method {
		case flow.MethodEmail:
			initial := rune('a' + rnd.intn(26))
			if first, _ := utf8.DecodeRuneInString(name); o.initial && unicode.IsLetter(first) {
				initial = unicode.ToLower(first)
			}
			opt.Hint = string(initial) + strings.Repeat(phone.Bullet, 3) + "@" + o.domain
		case flow.MethodSMS, flow.MethodVoice:
			shown := min(4, o.natLen/2)
			ds, ok := digits[o.number]
			if !ok {
				var b strings.Builder
				for range shown {
					b.WriteByte(byte('0' + rnd.intn(10)))
				}
				ds = b.String()
				digits[o.number] = ds
			}
			opt.Hint = "+" + o.cc + " " + strings.Repeat(phone.Bullet, o.natLen-shown) + ds
		default:
			opt.Hint = o.hint
		}
		out = append(out, opt)
	}
	return out, sh.required
}

// stream is a deterministic stream of pseudo-random numbers keyed by a name.
type stream struct {
	key  []byte
	seed string
	buf  []byte
	n    uint64
}

func newStream(key []byte, seed string) *stream { return &stream{key: key, seed: seed} }

func (s *stream) uint64() uint64 {
	if len(s.buf) < 8 {
		m := hmac.New(sha256.New, s.key)
		m.Write([]byte(s.seed + "\x00" + strconv.FormatUint(s.n, 10)))
		s.n++
		s.buf = append(s.buf, m.Sum(nil)...)
	}
	v := binary.BigEndian.Uint64(s.buf[:8])
	s.buf = s.buf[8:]
	return v
}

func (s *stream) intn(n int) int { return int(s.uint64() % uint64(n)) }
