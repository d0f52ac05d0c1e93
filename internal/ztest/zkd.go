package ztest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// zkdBuild holds the one build of cmd/zkd per test binary. It is the only
// package-level state: building once is what keeps a suite of many servers
// fast.
var zkdBuild struct {
	once sync.Once
	path string
	err  error
}

// buildZkd builds cmd/zkd once and returns the binary's path.
//
// The binary goes to a directory under os.TempDir() named after the module
// root, so repeated runs reuse one place instead of leaving a copy per test
// binary. Each build writes a private file and renames it into place: the
// test binaries of several packages run at once, and a rename never disturbs
// a process already running the previous file.
func buildZkd() (string, error) {
	zkdBuild.once.Do(func() {
		zkdBuild.path, zkdBuild.err = doBuildZkd()
	})
	return zkdBuild.path, zkdBuild.err
}

func doBuildZkd() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(root))
	return buildInto(root, filepath.Join(os.TempDir(), "ztest-zkd-"+hex.EncodeToString(sum[:6])))
}

// buildInto builds zkd/cmd/zkd of the module at root into dir/zkd.
func buildInto(root, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build zkd: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "zkd-*.tmp")
	if err != nil {
		return "", fmt.Errorf("build zkd: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command("go", "build", "-o", tmp.Name(), "zkd/cmd/zkd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build zkd/cmd/zkd in %s: %w\n%s", root, err, out)
	}
	bin := filepath.Join(dir, "zkd")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", fmt.Errorf("build zkd: %w", err)
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// zkdAvailable reports why zkd cannot be built here, or nil.
func zkdAvailable() error {
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("go toolchain not found: %w", err)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "zkd")); err != nil {
		return fmt.Errorf("no cmd/zkd in %s yet: %w", root, err)
	}
	return nil
}
