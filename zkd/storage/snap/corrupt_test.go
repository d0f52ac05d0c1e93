package snap

import (
	"errors"
	"os"
	"testing"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// TestCorruption damages a saved snapshot in one place and checks Load's
// error names the file and the offset of the check that caught it.
func TestCorruption(t *testing.T) {
	const bodyLen = 1000
	end := int64(headerLen + bodyLen)
	tests := []struct {
		name    string
		corrupt corruptFunc
		off     int64
		reason  string
	}{
		{"magic", flipBit(0, 0), 0, "not a zkd snapshot"},
		{"version", flipBit(8, 1), hdrCRCAt, "header checksum"},
		{"index", flipBit(17, 0), hdrCRCAt, "header checksum"},
		{"term", flipBit(24, 7), hdrCRCAt, "header checksum"},
		{"body length", flipBit(40, 2), hdrCRCAt, "header checksum"},
		{"header crc", flipBit(hdrCRCAt+1, 5), hdrCRCAt, "header checksum"},
		{"padding", flipBit(53, 0), 52, "padding"},
		{"body first byte", flipBit(headerLen, 0), end, "body checksum"},
		{"body middle", flipBit(headerLen+bodyLen/2, 6), end, "body checksum"},
		{"body last byte", flipBit(end-1, 7), end, "body checksum"},
		{"trailer crc", flipBit(end+2, 4), end, "body checksum"},
		{"trailer magic", flipBit(-1, 1), end + 4, "end marker"},
		{"cut in header", truncateTo(30), 30, "header cut short"},
		{"cut in body", truncateTo(headerLen + 10), headerLen + 10, "cut short"},
		{"cut in trailer", truncateTo(end + 5), end + 5, "cut short"},
		{"empty", truncateTo(0), 0, "header cut short"},
		{"bytes appended", func(t *testing.T, path string) { mustWrite(t, path, append(mustRead(t, path), 0)) }, end + trailerLen, "after the trailer"},
		{"renamed", func(t *testing.T, path string) {
			if err := os.Rename(path, path[:len(path)-1]+"0"); err != nil {
				t.Fatal(err)
			}
		}, 16, "the name 2464"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := openDir(t, nil)
			path := mustSave(t, d, 0x9a1, patterned(bodyLen))
			tt.corrupt(t, path)
			if tt.name == "renamed" {
				path = path[:len(path)-1] + "0"
			}
			_, _, err := d.Load(path)
			wantCorrupt(t, err, path, tt.off, tt.reason)
		})
	}
}

// TestEveryBitFlip flips each bit of a small snapshot: Load must fail
// every time, with ErrCorrupt.
func TestEveryBitFlip(t *testing.T) {
	d, _ := openDir(t, nil)
	path := mustSave(t, d, 77, patterned(40))
	good := mustRead(t, path)
	for i := range good {
		for bit := range 8 {
			b := append([]byte(nil), good...)
			b[i] ^= 1 << bit
			mustWrite(t, path, b)
			if _, _, err := d.Load(path); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("bit %d of byte %d: got %v, want ErrCorrupt", bit, i, err)
			}
		}
	}
	// And every truncation.
	for n := range len(good) {
		mustWrite(t, path, good[:n])
		if _, _, err := d.Load(path); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d: got %v", n, err)
		}
	}
}
