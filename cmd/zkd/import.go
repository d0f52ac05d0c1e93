package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"zkd/zkd/config"
	"zkd/zkd/storage/zkimport"
)

// runImport is `zkd import`: it rebuilds the state Apache ZooKeeper would
// serve from its dataDir (and dataLogDir) and writes it as the storage of
// the zkd server that zoo.cfg configures, ready for `zkd zoo.cfg`.
func runImport(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkd import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logDir := fs.String("data-log-dir", "", "ZooKeeper's dataLogDir, if its log.* files are not under ZK_DATA_DIR")
	force := fs.Bool("force", false, "replace zkd storage that already exists")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkd import [-data-log-dir DIR] [-force] ZK_DATA_DIR [zoo.cfg]\n\n"+
			"Reads Apache ZooKeeper's ZK_DATA_DIR/version-2 (snapshots, and the transaction logs\n"+
			"unless -data-log-dir names their dataLogDir) and writes the same tree, ACLs and open\n"+
			"sessions as the storage of the zkd server zoo.cfg configures (default %s).\n"+
			"ZooKeeper's files are only read; stop ZooKeeper first.\n\nflags:\n", defaultConfig)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return 2
	}
	zkDir, cfgPath := fs.Arg(0), defaultConfig
	if fs.NArg() == 2 {
		cfgPath = fs.Arg(1)
	}
	cfg, warnings, err := config.Load(cfgPath)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkd import: %v\n", err)
		return 1
	}
	t, rep, err := zkimport.Load(zkDir, *logDir)
	if err != nil {
		fmt.Fprintf(stderr, "zkd import: %v\n", err)
		if rep.Snapshot != "" || len(rep.SkippedSnapshots) > 0 {
			fmt.Fprintf(stderr, "read so far:\n%s", rep)
		}
		return 1
	}
	fmt.Fprint(os.Stdout, rep)
	// The member id zkd runs as: standalone servers are member 1 (see
	// serverConfig); an ensemble member is its myid.
	member := uint64(1)
	if !cfg.Standalone() {
		member = uint64(cfg.MyID)
	}
	out, err := zkimport.Install(t, zkimport.InstallOptions{
		DataDir: cfg.DataDir, DataLogDir: cfg.DataLogDir, MemberID: member, Force: *force,
	})
	for _, f := range out.Removed {
		fmt.Fprintf(os.Stdout, "removed:    %s\n", f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkd import: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stdout, "wrote:      %s (raft index %d, term %d, member %d)\n", out.Snapshot, zkimport.ImportIndex, zkimport.ImportTerm, member)
	fmt.Fprintf(os.Stdout, "next:       zkd %s\n", cfgPath)
	return 0
}
