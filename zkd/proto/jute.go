package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Jute primitives, as BinaryOutputArchive/BinaryInputArchive write them:
//
//	int     4 bytes, big-endian
//	long    8 bytes, big-endian
//	boolean 1 byte, 0 or 1
//	buffer  int length (-1 = null) then the bytes
//	ustring as buffer, UTF-8
//	vector  int count (-1 = null) then the elements

// ErrShort is returned when a record needs more bytes than the packet holds.
var ErrShort = errors.New("proto: record truncated")

// ErrBadLength is returned for a negative length other than -1 (null) or a
// length larger than what is left of the packet.
var ErrBadLength = errors.New("proto: bad length")

// Record is a jute record: it appends itself to an Encoder and reads itself
// from a Decoder. Decode errors are sticky in the Decoder.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Encoder appends jute primitives to a byte slice.
type Encoder struct {
	b []byte
}

// NewEncoder returns an encoder appending to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{b: buf} }

// Bytes returns everything appended so far.
func (e *Encoder) Bytes() []byte { return e.b }

// Len is the number of bytes appended so far.
func (e *Encoder) Len() int { return len(e.b) }

// Reset empties the encoder, keeping its buffer.
func (e *Encoder) Reset() { e.b = e.b[:0] }

func (e *Encoder) Int(v int32)  { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *Encoder) Long(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// Buffer writes a byte buffer; a nil slice is written as null (-1).
func (e *Encoder) Buffer(v []byte) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	e.b = append(e.b, v...)
}

func (e *Encoder) String(v string) {
	e.Int(int32(len(v)))
	e.b = append(e.b, v...)
}

// Strings writes a vector of ustring; nil is written as null.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Record appends a nested record.
func (e *Encoder) Record(r Record) { r.Encode(e) }

// Decoder reads jute primitives from a packet. The first error sticks: later
// reads return zero values, so a record's Decode can read every field and
// check Err once.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads from buf.
func NewDecoder(buf []byte) *Decoder { return &Decoder{b: buf} }

// Err is the first error met, if any.
func (d *Decoder) Err() error { return d.err }

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) }

// Rest returns the unread bytes.
func (d *Decoder) Rest() []byte { return d.b }

// Fail records err as the decoder's error unless one is already set.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = ErrShort
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *Decoder) Int() int32 {
	v := d.take(4)
	if v == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(v))
}

func (d *Decoder) Long() int64 {
	v := d.take(8)
	if v == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (d *Decoder) Bool() bool {
	v := d.take(1)
	if v == nil {
		return false
	}
	return v[0] != 0
}

// length reads a length prefix and checks it against what is left, assuming
// each element takes at least minSize bytes. -1 (null) returns -1.
func (d *Decoder) length(minSize int) int {
	n := d.Int()
	if d.err != nil {
		return 0
	}
	if n == -1 {
		return -1
	}
	if n < 0 || (minSize > 0 && int64(n)*int64(minSize) > int64(len(d.b))) {
		d.err = fmt.Errorf("%w: %d with %d bytes left", ErrBadLength, n, len(d.b))
		return 0
	}
	return int(n)
}

// Buffer reads a byte buffer. Null decodes as nil. The result aliases the
// packet; copy it if it must outlive the packet.
func (d *Decoder) Buffer() []byte {
	n := d.length(1)
	if n < 0 {
		return nil
	}
	v := d.take(n)
	if v == nil && d.err == nil {
		return []byte{}
	}
	return v
}

// String reads a ustring; null decodes as "".
func (d *Decoder) String() string {
	n := d.length(1)
	if n <= 0 {
		return ""
	}
	return string(d.take(n))
}

// VectorLen reads a vector count, bounded by the bytes left given that each
// element is at least minSize bytes. Null (-1) is returned as -1.
func (d *Decoder) VectorLen(minSize int) int {
	if minSize < 1 {
		minSize = 1
	}
	return d.length(minSize)
}

// Strings reads a vector of ustring; null decodes as nil.
func (d *Decoder) Strings() []string {
	n := d.VectorLen(4)
	if n < 0 || d.err != nil {
		return nil
	}
	v := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		v = append(v, d.String())
	}
	return v
}

// Record reads a nested record.
func (d *Decoder) Record(r Record) { r.Decode(d) }

// Decode reads r from the whole of buf; bytes left over are not an error
// (old and new clients append optional fields), but a short buffer is.
func Decode(buf []byte, r Record) error {
	d := decoders.Get().(*Decoder)
	*d = Decoder{b: buf}
	r.Decode(d)
	err := d.err
	*d = Decoder{} // drop buf: the pool must not keep a packet alive
	decoders.Put(d)
	return err
}

// Encode appends r to buf.
func Encode(buf []byte, r Record) []byte {
	e := encoders.Get().(*Encoder)
	e.b = buf
	r.Encode(e)
	buf = e.b
	e.b = nil
	encoders.Put(e)
	return buf
}

// encoders and decoders hold the Encoder and Decoder that Encode, Decode
// and the Append* functions pass to a Record's methods. Through the Record
// interface the compiler cannot see that they do not outlive the call, so a
// local one would be allocated on the heap once per request and per reply;
// pooled, the codec allocates only what a record keeps (its strings and
// buffers). They hold no state between calls.
var (
	encoders = sync.Pool{New: func() any { return new(Encoder) }}
	decoders = sync.Pool{New: func() any { return new(Decoder) }}
)

// Frame prepends nothing; it returns buf with the 4-byte length of the
// payload that follows offset written at offset. Callers reserve 4 bytes at
// offset before appending the payload.
func Frame(buf []byte, offset int) []byte {
	n := len(buf) - offset - 4
	if n < 0 || n > math.MaxInt32 {
		panic("proto: bad frame offset")
	}
	binary.BigEndian.PutUint32(buf[offset:], uint32(n))
	return buf
}
