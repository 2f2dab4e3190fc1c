package syncer

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/phone"
)

// countingNormalizer counts the calls that reach the real normalizer.
type countingNormalizer struct {
	mu    sync.Mutex
	calls map[string]int
	n     *phone.Normalizer
}

func (c *countingNormalizer) Normalize(raw string) (phone.Number, error) {
	c.mu.Lock()
	c.calls[raw]++
	c.mu.Unlock()
	return c.n.Normalize(raw)
}

func newCounting(t testing.TB) *countingNormalizer {
	n, err := phone.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	return &countingNormalizer{calls: map[string]int{}, n: n}
}

func TestPhoneCache(t *testing.T) {
	for _, tc := range []struct {
		name      string
		raws      []string
		wantCalls map[string]int
	}{
		{"shared number read once", []string{"+1 425 555 0100", "+1 425 555 0100", "+1 425 555 0100"}, map[string]int{"+1 425 555 0100": 1}},
		{"each way of writing is its own value", []string{"(425) 555-0100", "+1 425 555 0100", "(425) 555-0100"}, map[string]int{"(425) 555-0100": 1, "+1 425 555 0100": 1}},
		{"errors are cached too", []string{"call me", "call me"}, map[string]int{"call me": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := newCounting(t)
			c := newPhoneCache(inner)
			for _, raw := range tc.raws {
				got, gotErr := c.Normalize(raw)
				want, wantErr := inner.n.Normalize(raw)
				if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
					t.Errorf("Normalize(%q) = %v, %v; want %v, %v", raw, got, gotErr, want, wantErr)
				}
				var pe *phone.Error
				if wantErr != nil && !errors.As(gotErr, &pe) {
					t.Errorf("Normalize(%q) error %v is not a *phone.Error", raw, gotErr)
				}
			}
			if fmt.Sprint(inner.calls) != fmt.Sprint(tc.wantCalls) {
				t.Errorf("calls %v, want %v", inner.calls, tc.wantCalls)
			}
		})
	}
}

// The cache never holds more than phoneCacheSize values, and stays correct for concurrent callers.
func TestPhoneCacheBoundedAndConcurrent(t *testing.T) {
	inner := newCounting(t)
	c := newPhoneCache(inner)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range phoneCacheSize + 1000 {
				raw := fmt.Sprintf("+1 425 %03d %04d", 200+w, i%10000)
				n, err := c.Normalize(raw)
				if err != nil || n.Canonical != fmt.Sprintf("+1 425%03d%04d", 200+w, i%10000) {
					t.Errorf("Normalize(%q) = %v, %v", raw, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > phoneCacheSize {
		t.Errorf("cache holds %d values, at most %d", len(c.m), phoneCacheSize)
	}
}

// go test -run '^$' -bench Build ./internal/syncer/
// The cost of building a user (validation, two phones) with the cache: when the office number is
// shared by a site (1 in 100 users here has their own) and when every value is different.
func BenchmarkBuild(b *testing.B) {
	for _, tc := range []struct {
		name   string
		office func(i int) string
	}{
		{"shared office numbers", func(i int) string { return fmt.Sprintf("+1 206 555 %04d", i%100) }},
		{"all different", func(i int) string { return fmt.Sprintf("+1 206 %03d %04d", 200+i/10000%800, i%10000) }},
	} {
		for _, cached := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/cache=%v", tc.name, cached), func(b *testing.B) {
				n, err := phone.NewNormalizer("US")
				if err != nil {
					b.Fatal(err)
				}
				e := &Engine{norm: n, cfg: Config{OwnsAlternateEmails: true, DefaultRegion: "US"}}
				if cached {
					e.norm = newPhoneCache(n)
				}
				i := 0
				for b.Loop() {
					r := directory.Record{Anchor: make([]byte, 16), DN: fmt.Sprintf("uid=user%07d,ou=People,dc=bench,dc=test", i),
						UserPrincipalName: fmt.Sprintf("user%07d", i), DisplayName: "Bench User",
						MobilePhone: fmt.Sprintf("(425) %03d-%04d", 200+i/10000%800, i%10000), OfficePhone: tc.office(i),
						AlternateEmails: []string{fmt.Sprintf("user%07d@example.com", i)}, AccountEnabled: true}
					if u, _ := e.build(r); u == nil {
						b.Fatal("rejected")
					}
					i++
				}
			})
		}
	}
}
