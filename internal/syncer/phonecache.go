package syncer

import (
	"sync"

	"github.com/sspr/sspr/internal/phone"
)

// phoneCacheSize bounds the phone cache: about 200 bytes an entry, so at most ~1.6 MiB.
const phoneCacheSize = 8192

// phoneCache remembers what Normalize said of the last raw values it saw (the number or the
// error), so that a value many users share (an office switchboard, a number written the same way
// in every entry of a site) is read once per run, not once per user: normalizing costs about
// 5 µs a value, a lookup well under one. Normalize depends on the raw value alone (the default
// region is fixed per Normalizer), so a cached answer is the answer. When full, the cache is
// emptied: a directory whose values are all different pays one map write per value, no more.
// It is safe for concurrent use by the pipeline's workers.
type phoneCache struct {
	norm Normalizer
	mu   sync.Mutex
	m    map[string]phoneResult
}

type phoneResult struct {
	n   phone.Number
	err error
}

var _ Normalizer = (*phoneCache)(nil)

func newPhoneCache(n Normalizer) *phoneCache {
	return &phoneCache{norm: n, m: make(map[string]phoneResult, 256)}
}

func (c *phoneCache) Normalize(raw string) (phone.Number, error) {
	c.mu.Lock()
	r, ok := c.m[raw]
	c.mu.Unlock()
	if ok {
		return r.n, r.err
	}
	n, err := c.norm.Normalize(raw)
	c.mu.Lock()
	if len(c.m) >= phoneCacheSize {
		clear(c.m)
	}
	c.m[raw] = phoneResult{n, err}
	c.mu.Unlock()
	return n, err
}
