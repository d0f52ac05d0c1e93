package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPprof checks that Go's profiling endpoints are served only when
// admin.pprofEnabled is on, and that a CPU profile longer than nothing
// comes back whole (a gzipped profile proto), next to the admin commands.
func TestPprof(t *testing.T) {
	off := startServer(t, Config{AdminAddr: "127.0.0.1:0", AdminCommandURL: "/commands"})
	on := startServer(t, Config{AdminAddr: "127.0.0.1:0", AdminCommandURL: "/commands", AdminPprof: true})
	base := func(s *Server) string { return "http://" + s.AdminAddr().String() }

	tests := []struct {
		name   string
		srv    *Server
		path   string
		status int
		want   string // in the body; "gzip" = a gzip stream
	}{
		{"off: index", off, "/debug/pprof/", http.StatusNotFound, ""},
		{"off: heap", off, "/debug/pprof/heap", http.StatusNotFound, ""},
		{"off: commands still served", off, "/commands/ruok", http.StatusOK, `"command": "ruok"`},
		{"on: index", on, "/debug/pprof/", http.StatusOK, "goroutine"},
		{"on: cmdline", on, "/debug/pprof/cmdline", http.StatusOK, ""},
		{"on: heap", on, "/debug/pprof/heap", http.StatusOK, "gzip"},
		{"on: goroutine text", on, "/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile:"},
		{"on: cpu profile", on, "/debug/pprof/profile?seconds=1", http.StatusOK, "gzip"},
		{"on: commands still served", on, "/commands/ruok", http.StatusOK, `"command": "ruok"`},
		{"on: unknown command", on, "/commands/nope", http.StatusNotFound, "Unknown command: nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Timeout: 10 * time.Second}
			resp, err := c.Get(base(tc.srv) + tc.path)
			if err != nil {
				t.Fatalf("GET %s: %v", tc.path, err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("GET %s: reading body: %v", tc.path, err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s: status %d, want %d; body %.200q", tc.path, resp.StatusCode, tc.status, body)
			}
			switch {
			case tc.want == "gzip":
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("GET %s: not a gzipped profile: %v", tc.path, err)
				}
				if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
					t.Fatalf("GET %s: profile of %d bytes, err %v", tc.path, n, err)
				}
			case tc.want != "" && !strings.Contains(string(body), tc.want):
				t.Fatalf("GET %s: body lacks %q: %.300q", tc.path, tc.want, body)
			}
		})
	}
}
