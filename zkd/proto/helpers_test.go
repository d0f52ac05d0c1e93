package proto

import "runtime"

// allocatedBytes returns how many bytes f allocated on the heap (counting
// anything else the process allocated meanwhile, so callers leave slack).
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
