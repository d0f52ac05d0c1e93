package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"zkd/bench"
	"zkd/internal/ztest"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"-mix", "get=x"}, "-mix"},
		{[]string{"-sessions", "-3"}, "sessions"},
		{[]string{"-servers", ""}, "no servers"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"-nosuchflag"}, "nosuchflag"},
		{[]string{"summarize"}, "usage: zkbench summarize"},
		{[]string{"ensemble"}, "usage: zkbench ensemble"},
		{[]string{"ensemble", "-results", "x", "-kinds", "etcd"}, "neither zkd nor apache"},
		{[]string{"ensemble", "-results", "x", "-cells", "load,reboot"}, "unknown cell"},
		{[]string{"-server-pids", "12,x"}, "-server-pids"},
		{[]string{"settle"}, "want -pids"},
		{[]string{"settle", "-pids", "0"}, "not a process id"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := dispatch(tt.args, &out, &errOut); code != 2 {
			t.Errorf("zkbench %q exited %d, want 2", tt.args, code)
		}
		if !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("zkbench %q said %q, want it to mention %q", tt.args, errOut.String(), tt.want)
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	var out, errOut strings.Builder
	if code := dispatch([]string{"help"}, &out, &errOut); code != 0 {
		t.Fatalf("help exited %d: %s", code, errOut.String())
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), c.name) {
			t.Errorf("help does not list %s:\n%s", c.name, out.String())
		}
	}
}

func TestRunJSON(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	var out, errOut strings.Builder
	code := dispatch([]string{"-servers", srv.Addr, "-sessions", "2", "-inflight", "2", "-mix", "get",
		"-keys", "20", "-warmup", "0", "-duration", "300ms", "-json", "-server-pids", strconv.Itoa(srv.Pid())}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("output is not a JSON report: %v\n%s", err, out.String())
	}
	if rep.Mode != "load" || rep.Mix != "get" || rep.Total.Ops == 0 || rep.Total.ErrorTotal() != 0 {
		t.Errorf("report %+v; want a load run of get with ops and no errors", rep)
	}
	if m := rep.Machine; m == nil || m.BusyPct <= 0 || m.ServerCPUSec < 0 {
		t.Errorf("machine report %+v; want the window's CPU use", m)
	}
}
