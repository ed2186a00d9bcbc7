//go:build race

package nn

import (
	"runtime"
	"sync"
)

// Under the race detector sync.Pool drops a quarter of what it is given,
// at random, so a Pool would allocate in steady state and TestNoAllocs
// would fail there: race builds keep scratch in a locked free list instead.
var sgemmFree struct {
	sync.Mutex
	list []*sgemmScratch
}

func getScratch() *sgemmScratch {
	sgemmFree.Lock()
	defer sgemmFree.Unlock()
	if n := len(sgemmFree.list); n > 0 {
		s := sgemmFree.list[n-1]
		sgemmFree.list = sgemmFree.list[:n-1]
		return s
	}
	return new(sgemmScratch)
}

func putScratch(s *sgemmScratch) {
	sgemmFree.Lock()
	defer sgemmFree.Unlock()
	if len(sgemmFree.list) < max(4, runtime.GOMAXPROCS(0)) {
		sgemmFree.list = append(sgemmFree.list, s)
	}
}
