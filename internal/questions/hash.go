package questions

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are Argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32 // bytes of hash
	SaltLen int    // bytes of salt
}

// OWASP is the OWASP Password Storage Cheat Sheet's Argon2id configuration: 19 MiB, 2 passes,
// 1 thread.
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Bounds on the parameters read back from a stored hash (a damaged or hostile row must not make
// one verification take gigabytes).
const (
	maxMemory  = 64 * 1024 // KiB
	maxTime    = 10
	maxThreads = 4
)

// DefaultMaxWait is how long a hash waits for a free slot before ErrBusy.
const DefaultMaxWait = 10 * time.Second

// Errors of Hash and Verify.
var (
	// ErrBusy: every slot stayed taken for the maximum wait (a flood); the caller says "try
	// again in a minute" and counts nothing against the user.
	ErrBusy = errors.New("questions: too many answers being checked at once")
	// ErrMalformed: the stored string is not an Argon2id PHC string this package accepts.
	ErrMalformed = errors.New("questions: malformed answer hash")
	// ErrOtherPepper: the hash was made with a pepper from another server secret: it cannot be
	// verified here (the user registers again).
	ErrOtherPepper = errors.New("questions: answer hashed under another server secret")
)

// HasherOptions configures a Hasher.
type HasherOptions struct {
	Params Params // zero: OWASP
	// Pepper is mixed into every new hash (HMAC-SHA256 of the normalized answer, keyed by it)
	// and named in the PHC string by keyid (a hash of the pepper, not the pepper). nil: none.
	Pepper []byte
	// MaxConcurrent is how many Argon2id computations may run at once (default 8).
	MaxConcurrent int
	// MaxWait bounds the wait for a slot (default DefaultMaxWait).
	MaxWait time.Duration
}

// Hasher hashes and verifies answers with Argon2id, at most MaxConcurrent at a time. Safe for
// concurrent use.
type Hasher struct {
	params  Params
	pepper  []byte
	keyID   string
	sem     chan struct{}
	maxWait time.Duration

	running, peak, busy atomic.Int64
}

// NewHasher returns a Hasher.
func NewHasher(o HasherOptions) *Hasher {
	if o.Params == (Params{}) {
		o.Params = OWASP
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrentHashes
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	h := &Hasher{params: o.Params, sem: make(chan struct{}, o.MaxConcurrent), maxWait: o.MaxWait}
	if len(o.Pepper) > 0 {
		h.pepper = append([]byte(nil), o.Pepper...)
		id := sha256.Sum256(append([]byte("sspr answers keyid\x00"), o.Pepper...))
		h.keyID = b64.EncodeToString(id[:6])
	}
	return h
}

var b64 = base64.RawStdEncoding

// MaxConcurrent is how many hashes run at once at most.
func (h *Hasher) MaxConcurrent() int { return cap(h.sem) }

// PeakMemory is the Argon2id memory the Hasher may hold at once, in bytes.
func (h *Hasher) PeakMemory() int64 { return int64(cap(h.sem)) * int64(h.params.Memory) * 1024 }

// Stats is what the Hasher did: the most computations seen running at once, and how many
// callers gave up waiting (ErrBusy).
type Stats struct {
	Running, Peak, Busy int64
}

// Stats returns the counters.
func (h *Hasher) Stats() Stats {
	return Stats{Running: h.running.Load(), Peak: h.peak.Load(), Busy: h.busy.Load()}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
	default:
		t := time.NewTimer(h.maxWait)
		defer t.Stop()
		select {
		case h.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			h.busy.Add(1)
			return ErrBusy
		}
	}
	n := h.running.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return nil
}

func (h *Hasher) release() {
	h.running.Add(-1)
	<-h.sem
}

// key computes Argon2id of the (peppered) normalized answer, holding a slot.
func (h *Hasher) key(ctx context.Context, answer string, pepper []byte, p Params, salt []byte) ([]byte, error) {
	if len(answer) > maxAnswerBytes {
		answer = answer[:maxAnswerBytes]
	}
	in := []byte(Normalize(answer))
	if pepper != nil {
		m := hmac.New(sha256.New, pepper)
		m.Write(in)
		in = m.Sum(nil)
	}
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	return argon2.IDKey(in, salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

// Hash returns the PHC string of an answer (normalized here):
// $argon2id$v=19$m=19456,t=2,p=1[,keyid=…]$salt$hash, with a random salt.
func (h *Hasher) Hash(ctx context.Context, answer string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	k, err := h.key(ctx, answer, h.pepper, h.params, salt)
	if err != nil {
		return "", err
	}
	params := fmt.Sprintf("m=%d,t=%d,p=%d", h.params.Memory, h.params.Time, h.params.Threads)
	if h.keyID != "" {
		params += ",keyid=" + h.keyID
	}
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, params, b64.EncodeToString(salt), b64.EncodeToString(k)), nil
}

// Verify reports whether answer (normalized here) is the one hashed in phc, comparing in
// constant time. The parameters are read from phc, within bounds.
func (h *Hasher) Verify(ctx context.Context, phc, answer string) (bool, error) {
	p, keyID, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	var pepper []byte
	if keyID != "" {
		if keyID != h.keyID {
			return false, ErrOtherPepper
		}
		pepper = h.pepper
	}
	got, err := h.key(ctx, answer, pepper, p, salt)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Burn does the work of one verification and matches nothing: a flow that must not be told
// apart from a real one (a name that matches nobody) spends the same time and memory.
func (h *Hasher) Burn(ctx context.Context, answer string) error {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	_, err := h.key(ctx, answer, h.pepper, h.params, salt)
	return err
}

func parsePHC(s string) (p Params, keyID string, salt, hash []byte, err error) {
	bad := func(why string) (Params, string, []byte, []byte, error) {
		return Params{}, "", nil, nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return bad("not $argon2id$v=…$…$salt$hash")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version " + f[2])
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(f[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		if seen[k] {
			return bad("parameter " + k + " twice")
		}
		seen[k] = true
		if k == "keyid" {
			keyID = v
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter " + k)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			p.Threads = uint8(min(n, 255))
		default:
			return bad("unknown parameter " + k)
		}
	}
	if p.Memory < 8*uint32(max(p.Threads, 1)) || p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Threads > maxThreads {
		return bad(fmt.Sprintf("parameters m=%d,t=%d,p=%d out of bounds", p.Memory, p.Time, p.Threads))
	}
	if salt, err = b64.DecodeString(f[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("salt")
	}
	if hash, err = b64.DecodeString(f[5]); err != nil || len(hash) < 16 || len(hash) > 64 {
		return bad("hash")
	}
	p.KeyLen, p.SaltLen = uint32(len(hash)), len(salt)
	return p, keyID, salt, hash, nil
}
