//go:build !race

package nn

import "sync"

// sgemmPool keeps scratch per P: no contention between goroutines.
var sgemmPool = sync.Pool{New: func() any { return new(sgemmScratch) }}

func getScratch() *sgemmScratch  { return sgemmPool.Get().(*sgemmScratch) }
func putScratch(s *sgemmScratch) { sgemmPool.Put(s) }
