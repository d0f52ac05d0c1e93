package server

import (
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// pprofPrefix is where Go's profiling endpoints sit on the admin server,
// the path `go tool pprof` and every Go operator expect.
const pprofPrefix = "/debug/pprof/"

// withPprof adds Go's profiling endpoints under /debug/pprof/ in front of
// the admin commands. Handlers are registered on a mux of their own rather
// than http.DefaultServeMux (importing net/http/pprof registers there too,
// but nothing serves that mux).
//
// The admin server's write timeout (30 s) would cut a CPU profile or trace
// of the default 30 s; those two requests get a deadline of their own:
// the seconds asked for plus a minute to write.
func withPprof(admin http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pprofPrefix, pprof.Index) // also serves heap, goroutine, allocs, block, mutex...
	mux.HandleFunc(pprofPrefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc(pprofPrefix+"profile", longRequest(pprof.Profile))
	mux.HandleFunc(pprofPrefix+"symbol", pprof.Symbol)
	mux.HandleFunc(pprofPrefix+"trace", longRequest(pprof.Trace))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, pprofPrefix) || r.URL.Path == strings.TrimSuffix(pprofPrefix, "/") {
			mux.ServeHTTP(w, r)
			return
		}
		admin.ServeHTTP(w, r)
	})
}

// longRequest lifts the server's write deadline for a request that runs for
// ?seconds=N (30 by default, as net/http/pprof has it).
func longRequest(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secs := 30 * time.Second
		if d, err := time.ParseDuration(r.FormValue("seconds") + "s"); err == nil && d > 0 {
			secs = d
		}
		// An error means the writer cannot take deadlines (a test recorder);
		// the request then runs under the server's own.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(secs + time.Minute))
		h(w, r)
	}
}
