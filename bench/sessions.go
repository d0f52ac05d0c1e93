package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// dialAll opens n sessions, spread over the servers round-robin, all at
// once. On any failure it closes the ones it opened.
func dialAll(ctx context.Context, cfg *Config, n int) ([]*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	conns := make([]*Conn, n)
	err := onEach(n, func(i int) error {
		c, err := Dial(ctx, cfg.Servers[i%len(cfg.Servers)], cfg.SessionTimeout)
		if err != nil {
			return fmt.Errorf("session %d: %w", i, err)
		}
		conns[i] = c
		return nil
	})
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

// closeAll ends every session, concurrently (each Close waits up to
// closeWait for the server's answer).
func closeAll(conns []*Conn) {
	_ = onEach(len(conns), func(i int) error {
		if conns[i] != nil {
			conns[i].Close()
		}
		return nil
	})
}

// abortOnCancel closes every connection when ctx is cancelled, so that
// whatever blocks on them returns. The returned stop undoes it.
func abortOnCancel(ctx context.Context, conns []*Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.Abort()
		}
	})
}

// onEach runs f(0..n-1) concurrently and returns the errors joined.
func onEach(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return firstErrors(errs, 3)
}

// firstErrors joins the first max non-nil errors and says how many more
// there were, so a thousand sessions failing the same way print briefly.
func firstErrors(errs []error, max int) error {
	var kept []error
	more := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case len(kept) < max:
			kept = append(kept, err)
		default:
			more++
		}
	}
	if more > 0 {
		kept = append(kept, fmt.Errorf("and %d more", more))
	}
	return errors.Join(kept...)
}
