package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts a CPU profile into cpuPath (if set) and returns the
// function that ends it and writes a heap profile to memPath (if set). It
// is for a run under a benchmark, where the admin server's /debug/pprof/
// (admin.pprofEnabled) would have to be timed against the load.
func startProfiles(cpuPath, memPath string, log *slog.Logger) (stop func(), err error) {
	var cpu *os.File
	if cpuPath != "" {
		cpu, err = os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile %s: %w", cpuPath, err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				log.Warn("cpu profile not written whole", "file", cpuPath, "err", err)
			}
		}
		if memPath != "" {
			if err := writeHeapProfile(memPath); err != nil {
				log.Warn("heap profile not written", "file", memPath, "err", err)
			}
		}
	}, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile shows live objects as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
