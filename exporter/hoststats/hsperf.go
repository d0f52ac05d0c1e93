package hoststats

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// The hsperfdata layout (HotSpot perfMemory.hpp, version 2), all integers
// in the byte order the prologue names:
//
//	prologue, 32 bytes:
//	  0  magic        0xcafec0c0 (always these bytes, whatever the order)
//	  4  byte_order   0 big endian, 1 little endian
//	  5  major        2
//	  6  minor
//	  7  accessible
//	  8  used         int32
//	 12  overflow     int32
//	 16  mod_time     int64
//	 24  entry_offset int32
//	 28  num_entries  int32
//	entry, 20-byte header then name and data:
//	  0  entry_length int32
//	  4  name_offset  int32, from the entry's start; NUL-terminated
//	  8  vector_length int32, 0 for a scalar
//	 12  data_type    byte, 'J' = int64, 'B' = byte vector (strings)
//	 13  flags, data_units, data_variability: bytes
//	 16  data_offset  int32, from the entry's start
const (
	hsperfPrologueLen = 32
	hsperfEntryLen    = 20
	// hsperfMaxFile bounds the file read; HotSpot's default is 32 KiB
	// (-XX:PerfDataMemorySize).
	hsperfMaxFile = 4 << 20
)

var (
	hsperfMagic = []byte{0xca, 0xfe, 0xc0, 0xc0}
	// ErrNotHsperf means the bytes are not a HotSpot perf data file.
	ErrNotHsperf = errors.New("hoststats: not an hsperfdata file")
)

// parseHsperfLongs returns the int64 counters of an hsperfdata file by
// name. Strings and vectors are skipped.
func parseHsperfLongs(b []byte) (map[string]int64, error) {
	if len(b) < hsperfPrologueLen || !bytes.Equal(b[:4], hsperfMagic) {
		return nil, ErrNotHsperf
	}
	var order binary.ByteOrder = binary.BigEndian
	if b[4] == 1 {
		order = binary.LittleEndian
	}
	if b[5] != 2 {
		return nil, fmt.Errorf("%w: version %d.%d", ErrNotHsperf, b[5], b[6])
	}
	off := int(int32(order.Uint32(b[24:])))
	n := int(int32(order.Uint32(b[28:])))
	if n < 0 || off < hsperfPrologueLen || n > (len(b)-off)/hsperfEntryLen {
		return nil, fmt.Errorf("%w: %d entries at %d do not fit in %d bytes", ErrNotHsperf, n, off, len(b))
	}
	out := make(map[string]int64, n)
	for i := 0; i < n; i++ {
		if off < 0 || off+hsperfEntryLen > len(b) {
			return nil, fmt.Errorf("%w: entry %d at %d outside the file", ErrNotHsperf, i, off)
		}
		e := b[off:]
		length := int(int32(order.Uint32(e[0:])))
		nameOff := int(int32(order.Uint32(e[4:])))
		vecLen := int32(order.Uint32(e[8:]))
		typ := e[12]
		dataOff := int(int32(order.Uint32(e[16:])))
		if length < hsperfEntryLen || length > len(e) || nameOff >= length || dataOff > length {
			return nil, fmt.Errorf("%w: entry %d at %d is malformed", ErrNotHsperf, i, off)
		}
		name := e[nameOff:length]
		if z := bytes.IndexByte(name, 0); z >= 0 {
			name = name[:z]
		}
		if typ == 'J' && vecLen == 0 && dataOff+8 <= length {
			out[string(name)] = int64(order.Uint64(e[dataOff:]))
		}
		off += length
	}
	return out, nil
}

var genSpaceUsed = regexp.MustCompile(`^sun\.gc\.generation\.(\d+)\.space\.\d+\.used$`)

// heapFromCounters sums the heap out of HotSpot's GC counters: used is
// every space of the young (0) and old (1) generations, committed and max
// their capacities. Generation 2 was PermGen before Java 8, not heap.
func heapFromCounters(c map[string]int64) (JVMHeap, bool) {
	var h JVMHeap
	found := false
	for name, v := range c {
		m := genSpaceUsed.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if g, _ := strconv.Atoi(m[1]); g > 1 {
			continue
		}
		h.Used += v
		found = true
	}
	for g := 0; g <= 1; g++ {
		h.Committed += c[fmt.Sprintf("sun.gc.generation.%d.capacity", g)]
		h.Max += c[fmt.Sprintf("sun.gc.generation.%d.maxCapacity", g)]
	}
	return h, found
}

// JVMHeap is a JVM's heap in bytes, as its GC counters tell it.
type JVMHeap struct {
	Used, Committed, Max int64
}
