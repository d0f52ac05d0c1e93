package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"zkd/internal/ztest"
)

// harness is the ztest.TB that zkbench ensemble hands to
// ztest.StartEnsemble: member directories go under dir, cleanups run when
// close is called, Logf goes to the progress log, and Fatal or Skip end
// the start-up with a panic that startEnsemble turns into an error.
type harness struct {
	dir string
	log io.Writer

	mu       sync.Mutex
	n        int
	cleanups []func()
	failed   bool
}

// harnessStop is what Fatal and Skipf panic with.
type harnessStop struct {
	skip bool
	msg  string
}

// errSkipped marks an ensemble that cannot run here (ztest's Skip: no
// root for network namespaces, no java...).
var errSkipped = errors.New("cannot run here")

var _ ztest.TB = (*harness)(nil)

func newHarness(dir string, log io.Writer) (*harness, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &harness{dir: dir, log: log}, nil
}

func (h *harness) Helper() {}

func (h *harness) Cleanup(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cleanups = append(h.cleanups, f)
}

// TempDir returns a new directory dir/mN (member data directories: kept
// with the run's other files, on the same filesystem as the standalone
// servers').
func (h *harness) TempDir() string {
	h.mu.Lock()
	h.n++
	d := filepath.Join(h.dir, "m"+strconv.Itoa(h.n))
	h.mu.Unlock()
	if err := os.MkdirAll(d, 0o755); err != nil {
		h.Fatalf("make %s: %v", d, err)
	}
	return d
}

func (h *harness) Failed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

func (h *harness) fail() {
	h.mu.Lock()
	h.failed = true
	h.mu.Unlock()
}

func (h *harness) Errorf(format string, args ...any) {
	h.fail()
	h.Logf(format, args...)
}

func (h *harness) Fatal(args ...any) {
	h.fail()
	panic(harnessStop{msg: fmt.Sprint(args...)})
}

func (h *harness) Fatalf(format string, args ...any) {
	h.fail()
	panic(harnessStop{msg: fmt.Sprintf(format, args...)})
}

func (h *harness) Logf(format string, args ...any) {
	fmt.Fprintf(h.log, format+"\n", args...)
}

func (h *harness) Skipf(format string, args ...any) {
	panic(harnessStop{skip: true, msg: fmt.Sprintf(format, args...)})
}

// close runs the cleanups, last registered first: the members stopped,
// a network lab removed.
func (h *harness) close() {
	h.mu.Lock()
	cs := h.cleanups
	h.cleanups = nil
	h.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// startEnsemble is ztest.StartEnsemble with its Fatal and Skip turned
// into errors (errSkipped for a skip); on an error whatever was started
// has been stopped again.
func startEnsemble(h *harness, o ztest.EnsembleOptions) (e *ztest.Ensemble, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		stop, ok := r.(harnessStop)
		if !ok {
			panic(r)
		}
		h.close()
		if stop.skip {
			err = fmt.Errorf("%w: %s", errSkipped, stop.msg)
		} else {
			err = errors.New(stop.msg)
		}
	}()
	return ztest.StartEnsemble(h, o), nil
}
