package ensemble

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// znode is what a tree dump holds of one znode: its data and every Stat
// field but the derived ones that differ legitimately (none in a data
// tree; /zookeeper/config's mtime, see dumpMember).
type znode struct {
	Data                        string
	Czxid, Mzxid, Pzxid         int64
	Ctime, Mtime                int64
	Version, Cversion, Aversion int32
	EphemeralOwner              int64
	DataLength, NumChildren     int32
}

func (n znode) String() string {
	data := n.Data
	if len(data) > 40 {
		data = data[:40] + "..."
	}
	return fmt.Sprintf("data=%q czxid=%#x mzxid=%#x pzxid=%#x ctime=%d mtime=%d version=%d cversion=%d aversion=%d owner=%#x len=%d children=%d",
		data, n.Czxid, n.Mzxid, n.Pzxid, n.Ctime, n.Mtime, n.Version, n.Cversion, n.Aversion, n.EphemeralOwner, n.DataLength, n.NumChildren)
}

// tree is a member's whole tree by path.
type tree map[string]znode

// walkParallel bounds the requests in flight during a dump.
const walkParallel = 32

// dumpMember reads m's whole tree through a session with m alone: sync("/"),
// then getData of every znode and getChildren of those with children. The
// whole dump is bounded by timeout.
func dumpMember(m *ztest.Member, timeout time.Duration) (tree, error) {
	c, err := dial(fmt.Sprintf("dump of member %d", m.ID), []string{m.ClientAddr}, sessionTimeout, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out tree
	err = within(timeout, func() error {
		if _, err := c.ev.waitFor(zk.StateHasSession, time.Time{}, timeout); err != nil {
			return err
		}
		if _, err := c.Sync("/"); err != nil {
			return fmt.Errorf("sync /: %w", err)
		}
		t, err := walk(c.Conn)
		out = t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dump member %d (%s): %w", m.ID, m.ClientAddr, err)
	}
	return out, nil
}

// walk reads the tree level by level, walkParallel requests at a time.
func walk(c *zk.Conn) (tree, error) {
	out := tree{}
	level := []string{"/"}
	for len(level) > 0 {
		type result struct {
			node znode
			kids []string
			err  error
		}
		res := make([]result, len(level))
		sem := make(chan struct{}, walkParallel)
		var wg sync.WaitGroup
		for i, p := range level {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				data, st, err := c.Get(p)
				if err != nil {
					res[i].err = fmt.Errorf("get %s: %w", p, err)
					return
				}
				n := znode{
					Data: string(data), Czxid: st.Czxid, Mzxid: st.Mzxid, Pzxid: st.Pzxid,
					Ctime: st.Ctime, Mtime: st.Mtime, Version: st.Version, Cversion: st.Cversion,
					Aversion: st.Aversion, EphemeralOwner: st.EphemeralOwner,
					DataLength: st.DataLength, NumChildren: st.NumChildren,
				}
				if p == "/zookeeper/config" {
					n.Mtime = 0 // each Apache member's own clock at start-up
				}
				res[i].node = n
				if st.NumChildren > 0 {
					kids, _, err := c.Children(p)
					if err != nil {
						res[i].err = fmt.Errorf("children %s: %w", p, err)
						return
					}
					if len(kids) != int(st.NumChildren) {
						res[i].err = fmt.Errorf("%s: numChildren %d but %d children listed", p, st.NumChildren, len(kids))
						return
					}
					res[i].kids = kids
				}
			})
		}
		wg.Wait()
		var next []string
		for i, p := range level {
			if res[i].err != nil {
				return nil, res[i].err
			}
			out[p] = res[i].node
			for _, k := range res[i].kids {
				if p == "/" {
					next = append(next, "/"+k)
				} else {
					next = append(next, p+"/"+k)
				}
			}
		}
		level = next
	}
	return out, nil
}

// diffTrees lists up to max differences between a and b.
func diffTrees(a, b tree, nameA, nameB string, max int) []string {
	var paths []string
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []string
	for _, p := range paths {
		na, inA := a[p]
		nb, inB := b[p]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: only on %s: %v", p, nameB, nb))
		case !inB:
			out = append(out, fmt.Sprintf("%s: only on %s: %v", p, nameA, na))
		case na != nb:
			out = append(out, fmt.Sprintf("%s:\n\t%s: %v\n\t%s: %v", p, nameA, na, nameB, nb))
		default:
			continue
		}
		if len(out) == max {
			out = append(out, "...")
			break
		}
	}
	return out
}

// sameTrees dumps every member of members until all dumps are identical (the
// members are quiescent: the test stopped its load; sessions may still be
// closing and a member catching up) and returns them by member ID. It fails
// the test with the differences when they are still not identical after
// treeWait.
func sameTrees(t *testing.T, members []*ztest.Member) map[int]tree {
	t.Helper()
	begin := time.Now()
	var problem string
	for attempt := 1; ; attempt++ {
		dumps := make([]tree, len(members))
		errs := make([]error, len(members))
		var wg sync.WaitGroup
		for i, m := range members {
			wg.Go(func() { dumps[i], errs[i] = dumpMember(m, 30*time.Second) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			problem = err.Error()
		} else {
			var diffs []string
			for i := 1; i < len(members); i++ {
				if d := diffTrees(dumps[0], dumps[i], fmt.Sprintf("member %d", members[0].ID), fmt.Sprintf("member %d", members[i].ID), 10); len(d) > 0 {
					diffs = append(diffs, fmt.Sprintf("member %d vs member %d:\n%s", members[0].ID, members[i].ID, strings.Join(d, "\n")))
				}
			}
			if len(diffs) == 0 {
				out := map[int]tree{}
				for i, m := range members {
					out[m.ID] = dumps[i]
				}
				t.Logf("trees of members %v identical (%d znodes) after %v, %d dump(s)",
					memberIDs(members), len(dumps[0]), ms(time.Since(begin)), attempt)
				return out
			}
			problem = strings.Join(diffs, "\n")
		}
		if time.Since(begin) > treeWait {
			t.Fatalf("trees of members %v not identical after %v:\n%s", memberIDs(members), treeWait, problem)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
