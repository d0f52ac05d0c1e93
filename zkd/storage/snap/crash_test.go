package snap

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var errInjected = errors.New("injected fault")

// faultFS is the OS filesystem with one operation made to fail. With
// crash set, every operation after the failure fails too, as if the
// process had died there: nothing more reaches the disk, cleanup included.
type faultFS struct {
	FS
	failAt string // "create", "write", "writeAt", "sync", "close", "rename" or "syncDir"
	crash  bool

	mu   sync.Mutex
	dead bool
}

func (f *faultFS) hit(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return errInjected
	}
	if op == f.failAt {
		f.dead = f.crash
		return errInjected
	}
	return nil
}

func (f *faultFS) Create(name string) (File, error) {
	if err := f.hit("create"); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.hit("rename"); err != nil {
		return err
	}
	return f.FS.Rename(o, n)
}

func (f *faultFS) Remove(name string) error {
	if err := f.hit("remove"); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.hit("syncDir"); err != nil {
		return err
	}
	return f.FS.SyncDir(dir)
}

type faultFile struct {
	File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.hit("write"); err != nil {
		// Half the bytes reach the file, as in a real short write.
		n, _ := f.File.Write(p[:len(p)/2])
		return n, err
	}
	return f.File.Write(p)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.hit("writeAt"); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if err := f.fs.hit("sync"); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	err := f.fs.hit("close")
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// TestSaveFailures fails each step of Save, once as an error the process
// survives and once as a crash, and checks what is left on disk.
func TestSaveFailures(t *testing.T) {
	for _, op := range []string{"create", "write", "writeAt", "sync", "close", "rename", "syncDir"} {
		for _, crash := range []bool{false, true} {
			name := op
			if crash {
				name += "/crash"
			}
			t.Run(name, func(t *testing.T) {
				ffs := &faultFS{FS: OSFS()}
				d, _ := openDir(t, ffs)
				mustSave(t, d, 1, patterned(5000))
				ffs.failAt, ffs.crash = op, crash
				_, err := d.Save(Meta{Index: 2}, bodyOf(patterned(3<<20)))
				if !errors.Is(err, errInjected) {
					t.Fatalf("Save: %v, want the injected error", err)
				}
				names := dirNames(t, d.Path())
				renamed := op == "syncDir" // the fault came after the rename
				switch {
				case renamed:
					if !slices.Equal(names, []string{FileName(1), FileName(2)}) {
						t.Fatalf("left %v", names)
					}
				case !crash && !slices.Equal(names, []string{FileName(1)}):
					t.Fatalf("after a failed save the directory holds %v", names)
				}

				// Restart: Open cleans up, LoadNewest finds a whole snapshot.
				var logs logBuffer
				d2, err := Open(d.Path(), Options{Logger: logs.logger()})
				if err != nil {
					t.Fatal(err)
				}
				hadTmp := slices.Contains(names, FileName(2)+tmpSuffix)
				if crash && op != "create" && !renamed && !hadTmp {
					t.Fatalf("a crash at %s should leave the .tmp behind: %v", op, names)
				}
				if hadTmp != strings.Contains(logs.String(), "removed an incomplete snapshot") {
					t.Fatalf("tmp %v, log %q", hadTmp, logs.String())
				}
				if names := dirNames(t, d.Path()); slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, tmpSuffix) }) {
					t.Fatalf("Open left %v", names)
				}
				m, body, err := d2.LoadNewest()
				if err != nil {
					t.Fatalf("LoadNewest after restart: %v", err)
				}
				body.Close()
				if want := map[bool]uint64{false: 1, true: 2}[renamed]; m.Index != want {
					t.Fatalf("newest is %d, want %d", m.Index, want)
				}
			})
		}
	}
}

// TestBodyError: the caller's stream fails midway; nothing is left.
func TestBodyError(t *testing.T) {
	d, _ := openDir(t, nil)
	boom := errors.New("capture failed")
	_, err := d.Save(Meta{Index: 3}, func(w io.Writer) error {
		if _, err := w.Write(patterned(2 << 20)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Save: %v", err)
	}
	if names := dirNames(t, d.Path()); len(names) != 0 {
		t.Fatalf("left %v", names)
	}
}

// TestStaleTmpIgnored: a complete snapshot under its .tmp name (a crash
// between fsync and rename) is not a snapshot: List skips it, LoadNewest
// takes the older one, and Open removes it with a log line.
func TestStaleTmpIgnored(t *testing.T) {
	d, _ := openDir(t, nil)
	mustSave(t, d, 10, []byte("old"))
	newer := mustSave(t, d, 11, []byte("new"))
	if err := os.Rename(newer, newer+tmpSuffix); err != nil {
		t.Fatal(err)
	}
	list, err := d.List()
	if err != nil || len(list) != 1 || list[0].Index != 10 {
		t.Fatalf("List %+v, %v", list, err)
	}
	m, body, err := d.LoadNewest()
	if err != nil || m.Index != 10 {
		t.Fatalf("LoadNewest %+v, %v", m, err)
	}
	body.Close()
	var logs logBuffer
	if _, err := Open(d.Path(), Options{Logger: logs.logger()}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), filepath.Base(newer)+tmpSuffix) {
		t.Fatalf("no log line naming the file: %q", logs.String())
	}
	if names := dirNames(t, d.Path()); !slices.Equal(names, []string{FileName(10)}) {
		t.Fatalf("left %v", names)
	}
	// Other files are none of our business.
	other := filepath.Join(d.Path(), "myid")
	mustWrite(t, other, []byte("1\n"))
	if _, err := Open(d.Path(), Options{}); err != nil {
		t.Fatal(err)
	}
	if b := mustRead(t, other); !bytes.Equal(b, []byte("1\n")) {
		t.Fatalf("myid changed")
	}
}
