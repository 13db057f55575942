package main

import (
	"math/rand"
	"strconv"
	"strings"
)

// keyFits reports whether every index below spaceSize has a name of keySize bytes: "k" and at
// most keySize-1 digits.
func keyFits(keySize int, spaceSize int64) bool {
	if keySize < 2 || spaceSize < 1 {
		return false
	}
	digits := len(strconv.FormatInt(spaceSize-1, 10))
	return digits <= keySize-1
}

// keyName is key i of a space whose keys are keySize bytes: "k", then i zero-padded. regent-bench
// names its keys the same way (src/loadgen/key_chooser.cc).
func keyName(i int64, keySize int) string {
	digits := strconv.FormatInt(i, 10)
	return "k" + strings.Repeat("0", keySize-1-len(digits)) + digits
}

// keyChooser picks the key of each request: request n's own key in sequential mode, else a
// random one from the goroutine's own generator (no lock shared between goroutines).
type keyChooser struct {
	space      int64
	size       int
	sequential bool
	rng        *rand.Rand
}

func newKeyChooser(o options, goroutine int) *keyChooser {
	return &keyChooser{
		space:      o.keySpaceSize,
		size:       o.keySize,
		sequential: o.sequentialKeys,
		rng:        rand.New(rand.NewSource(o.seed + int64(goroutine))),
	}
}

func (k *keyChooser) key(request int64) string {
	if k.sequential {
		return keyName(request%k.space, k.size)
	}
	return keyName(k.rng.Int63n(k.space), k.size)
}
