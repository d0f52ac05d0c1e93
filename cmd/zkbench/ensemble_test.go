package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkd/bench"
	"zkd/internal/ztest"
)

// TestEnsembleKill runs one SIGKILL failover round on a zkd ensemble and
// summarizes it: the cell line, the round's report, and the table row.
func TestEnsembleKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an ensemble")
	}
	if err := ztest.Available(ztest.KindZkd); err != nil {
		t.Skip(err)
	}
	results := t.TempDir()
	var out, errOut strings.Builder
	code := dispatch([]string{"ensemble", "-results", results, "-tmp", t.TempDir(), "-kinds", "zkd",
		"-cells", "kill", "-failover-rounds", "1", "-failover-timeout", "30s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	cells, err := os.ReadFile(filepath.Join(results, "cells.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "ens-kill\tfailover\t" + titleKill + "\n"; string(cells) != want {
		t.Errorf("cells.tsv = %q, want %q", cells, want)
	}
	s, err := bench.Summarize(results, "zkd", "apache")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Cells[0]
	if c.RoundsA != 1 || c.FreshA <= 0 || c.ExistingA <= 0 || c.ElectedA <= 0 {
		t.Errorf("failover cell %+v; want one round with every time measured\nlog:\n%s", c, errOut.String())
	}
	f := s.Rounds[0].Report.Failover
	if f.Fault != "kill" || f.Members != 3 || f.Leader == f.NewLeader || f.RecoverSec <= 0 {
		t.Errorf("round %+v", f)
	}
}

func TestPickLoadCells(t *testing.T) {
	ids := func(cs []ensembleLoadCell) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.id)
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct{ list, want, err string }{
		{"", "ens-set,ens-create,ens-get,ens-mixed", ""},
		{"ens-mixed, ens-set", "ens-set,ens-mixed", ""},
		{"ens-get,,", "ens-get", ""},
		{"ens-set,ens-sit", "", `unknown load cell "ens-sit"`},
	} {
		got, err := pickLoadCells(tt.list)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("pickLoadCells(%q) error %v, want %s", tt.list, err, tt.err)
			}
			continue
		}
		if err != nil || ids(got) != tt.want {
			t.Errorf("pickLoadCells(%q) = %s, %v; want %s", tt.list, ids(got), err, tt.want)
		}
	}
}
