package snap

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeHeader: any input decodes or fails with ErrCorrupt or
// ErrVersion, never panics; a decoded header encodes back to its bytes.
func FuzzDecodeHeader(f *testing.F) {
	f.Add(appendHeader(nil, Meta{Index: 1234, Term: 5, LastZxid: 99}, 1000))
	f.Add(appendHeader(nil, Meta{}, 0))
	f.Add([]byte(magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		if again := appendHeader(nil, m, m.BodyLen); !bytes.Equal(again, b[:headerLen]) {
			t.Fatalf("header %x encodes back as %x", b[:headerLen], again)
		}
	})
}
