package questions

import (
	crand "crypto/rand"
	"math/rand/v2"
	"slices"
)

// Draw returns n of keys at random, in random order (all of them, shuffled, when n ≥ len(keys)).
// Each call draws anew, from a cryptographic seed.
func Draw(keys []string, n int) []string {
	var seed [32]byte
	crand.Read(seed[:])
	return DrawFrom(rand.New(rand.NewChaCha8(seed)), keys, n)
}

// DrawFrom is Draw with the caller's source of randomness (a seeded one gives the same draw
// every time: decoy flows, tests).
func DrawFrom(r *rand.Rand, keys []string, n int) []string {
	out := slices.Clone(keys)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if n < len(out) {
		out = out[:n]
	}
	return out
}
