package compat

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"sort"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// digestOf is DigestAuthenticationProvider.generateDigest: user:base64(sha1(user:password)).
func digestOf(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// aclOptions makes "super:secret" the super user.
func aclOptions() ztest.Options {
	return ztest.Options{Extra: map[string]string{
		"DigestAuthenticationProvider.superDigest": digestOf("super", "secret"),
	}}
}

// TestACLPerms gives world:anyone one permission at a time on /n (and bob
// everything, to set things up) and checks which operations a stranger may
// do: each needs its own bit, create and delete need theirs on the parent,
// getACL needs READ or ADMIN, exists and sync need nothing.
func TestACLPerms(t *testing.T) {
	srv := startServer(t, aclOptions())
	bob := connect(t, srv.Addr)
	if err := bob.AddAuth("digest", []byte("bob:pw")); err != nil {
		t.Fatal(err)
	}
	o := connect(t, srv.Addr)
	bobDigest := digestOf("bob", "pw")

	ops := []struct {
		name string
		need int32 // any of these bits
		run  func() error
	}{
		{"get", zk.PermRead, func() error { _, _, err := o.Get("/n"); return err }},
		{"children", zk.PermRead, func() error { _, _, err := o.Children("/n"); return err }},
		{"set", zk.PermWrite, func() error { _, err := o.Set("/n", nil, -1); return err }},
		{"create child", zk.PermCreate, func() error { _, err := o.Create("/n/new", nil, 0, openACL); return err }},
		{"delete child", zk.PermDelete, func() error { return o.Delete("/n/kid", -1) }},
		{"getACL", zk.PermRead | zk.PermAdmin, func() error { _, _, err := o.GetACL("/n"); return err }},
		{"setACL", zk.PermAdmin, func() error { _, err := o.SetACL("/n", zk.DigestACL(zk.PermAll, "bob", "pw"), -1); return err }},
		{"exists", 0, func() error { _, _, err := o.Exists("/n"); return err }},
		{"sync", 0, func() error { _, err := o.Sync("/n"); return err }},
	}
	for _, perm := range []int32{0, zk.PermRead, zk.PermWrite, zk.PermCreate, zk.PermDelete, zk.PermAdmin} {
		t.Run(fmt.Sprintf("world perms %d", perm), func(t *testing.T) {
			acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: bobDigest}, {Perms: perm, Scheme: "world", ID: "anyone"}}
			for _, op := range ops {
				if _, err := bob.Create("/n", nil, 0, acl); err != nil {
					t.Fatal(err)
				}
				if _, err := bob.Create("/n/kid", nil, 0, openACL); err != nil {
					t.Fatal(err)
				}
				err := op.run()
				var want error
				if op.need != 0 && perm&op.need == 0 {
					want = zk.ErrNoAuth
				}
				wantErr(t, op.name, err, want)
				bob.Delete("/n/kid", -1)
				bob.Delete("/n/new", -1)
				if err := bob.Delete("/n", -1); err != nil {
					t.Fatal(err)
				}
			}
		})
	}

	t.Run("getACL without ADMIN hides digests", func(t *testing.T) {
		acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: bobDigest}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}}
		if _, err := bob.Create("/masked", nil, 0, acl); err != nil {
			t.Fatal(err)
		}
		got, _, err := o.GetACL("/masked")
		want := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: "bob:x"}, acl[1]}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stranger's getACL = %v, %v; want %v", got, err, want)
		}
		got, _, _ = bob.GetACL("/masked")
		if fmt.Sprint(got) != fmt.Sprint(acl) {
			t.Errorf("bob's getACL = %v, want %v", got, acl)
		}
	})

	t.Run("checks before NoNode, NodeExists, BadVersion", func(t *testing.T) {
		acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: bobDigest}}
		if _, err := bob.Create("/locked", nil, 0, acl); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Create("/locked/kid", nil, 0, openACL); err != nil {
			t.Fatal(err)
		}
		_, err := o.Create("/locked/kid", nil, 0, openACL)
		wantErr(t, "create existing child", err, zk.ErrNoAuth)
		err = o.Delete("/locked/missing", -1)
		wantErr(t, "delete missing child", err, zk.ErrNoAuth)
		_, err = o.Set("/locked", nil, 42)
		wantErr(t, "set bad version", err, zk.ErrNoAuth)
		_, err = o.SetACL("/locked", openACL, 42)
		wantErr(t, "setACL bad version", err, zk.ErrNoAuth)
		// The child's own ACL is open: it can be read and changed, but
		// not deleted (that needs DELETE on /locked).
		if _, err := o.Set("/locked/kid", []byte("x"), -1); err != nil {
			t.Errorf("set open child of locked node: %v", err)
		}
		wantErr(t, "delete open child of locked node", o.Delete("/locked/kid", -1), zk.ErrNoAuth)
	})
}

func TestACLSchemes(t *testing.T) {
	srv := startServer(t, aclOptions())
	owner := connect(t, srv.Addr)
	o := connect(t, srv.Addr)

	t.Run("auth", func(t *testing.T) {
		a := connect(t, srv.Addr)
		_, err := a.Create("/auth", nil, 0, zk.AuthACL(zk.PermAll))
		wantErr(t, "auth ACL before addauth", err, zk.ErrInvalidACL)
		for _, cred := range []string{"alice:pw", "carol:pw"} {
			if err := a.AddAuth("digest", []byte(cred)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Create("/auth", nil, 0, zk.AuthACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		// "auth" expands to one digest entry per identity of the session
		// (the ip identity does not count).
		got, _, err := a.GetACL("/auth")
		sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
		want := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: digestOf("alice", "pw")}, {Perms: zk.PermAll, Scheme: "digest", ID: digestOf("carol", "pw")}}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("getACL /auth = %v, %v; want %v", got, err, want)
		}
		_, _, err = o.Get("/auth")
		wantErr(t, "stranger get", err, zk.ErrNoAuth)
	})

	t.Run("digest", func(t *testing.T) {
		if _, err := owner.Create("/dig", []byte("d"), 0, zk.DigestACL(zk.PermRead, "dan", "pw")); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			cred string
			want error
		}{
			{"", zk.ErrNoAuth},
			{"dan:wrong", zk.ErrNoAuth},
			{"danny:pw", zk.ErrNoAuth},
			{"dan:pw", nil},
		} {
			c := connect(t, srv.Addr)
			if tc.cred != "" {
				if err := c.AddAuth("digest", []byte(tc.cred)); err != nil {
					t.Fatal(err) // a wrong password is not an auth failure
				}
			}
			_, _, err := c.Get("/dig")
			wantErr(t, "get as "+tc.cred, err, tc.want)
			c.Close()
		}
	})

	t.Run("ip", func(t *testing.T) {
		for i, tc := range []struct {
			id   string
			want error
		}{
			{"127.0.0.1", nil},
			{"127.0.0.0/8", nil},
			{"127.0.0.1/32", nil},
			{"127.0.0.2", zk.ErrNoAuth},
			{"10.0.0.0/8", zk.ErrNoAuth},
		} {
			path := fmt.Sprintf("/ip-%d", i)
			if _, err := owner.Create(path, nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: tc.id}}); err != nil {
				t.Fatalf("create with ip:%s: %v", tc.id, err)
			}
			_, _, err := o.Get(path)
			wantErr(t, "get ip:"+tc.id, err, tc.want)
			owner.AddAuth("digest", []byte("super:secret"))
			owner.Delete(path, -1)
		}
	})

	t.Run("super", func(t *testing.T) {
		if _, err := owner.Create("/closed", []byte("x"), 0, []zk.ACL{{Perms: 0, Scheme: "world", ID: "anyone"}}); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, owner, "/closed-parent", "", 0)
		s := connect(t, srv.Addr)
		_, _, err := s.Get("/closed")
		wantErr(t, "get before super", err, zk.ErrNoAuth)
		if err := s.AddAuth("digest", []byte("super:secret")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get("/closed"); err != nil {
			t.Errorf("super get: %v", err)
		}
		if _, err := s.Set("/closed", nil, -1); err != nil {
			t.Errorf("super set: %v", err)
		}
		acl, _, err := s.GetACL("/closed")
		if err != nil || fmt.Sprint(acl) != fmt.Sprint([]zk.ACL{{Perms: 0, Scheme: "world", ID: "anyone"}}) {
			t.Errorf("super getACL = %v, %v", acl, err)
		}
		if _, err := s.Create("/closed/kid", nil, 0, openACL); err != nil {
			t.Errorf("super create: %v", err)
		}
		if err := s.Delete("/closed/kid", -1); err != nil {
			t.Errorf("super delete: %v", err)
		}
		if _, err := s.SetACL("/closed", openACL, -1); err != nil {
			t.Errorf("super setACL: %v", err)
		}
		if _, err := o.Set("/closed", nil, -1); err != nil {
			t.Errorf("stranger set after super opened it: %v", err)
		}
		// Only the exact super password works.
		s2 := connect(t, srv.Addr)
		s2.AddAuth("digest", []byte("super:wrong"))
		owner.SetACL("/closed", []zk.ACL{{Perms: 0, Scheme: "world", ID: "anyone"}}, -1)
		_, _, err = s2.Get("/closed")
		wantErr(t, "super with wrong password", err, zk.ErrNoAuth)
	})

	t.Run("invalid ACLs", func(t *testing.T) {
		bad := []struct {
			name string
			acl  []zk.ACL
		}{
			{"empty", []zk.ACL{}},
			{"nil", nil},
			{"world someone", []zk.ACL{{Perms: zk.PermAll, Scheme: "world", ID: "someone"}}},
			{"digest without hash", []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: "nocolon"}}},
			{"digest two colons", []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: "a:b:c"}}},
			{"ip bad address", []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "300.1.1.1"}}},
			{"ip bad mask", []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "10.0.0.0/33"}}},
			{"unknown scheme", []zk.ACL{{Perms: zk.PermAll, Scheme: "foo", ID: "bar"}}},
			{"super scheme", []zk.ACL{{Perms: zk.PermAll, Scheme: "super", ID: ""}}},
			{"auth unauthenticated", zk.AuthACL(zk.PermAll)},
			{"one bad of two", []zk.ACL{openACL[0], {Perms: zk.PermAll, Scheme: "foo", ID: "bar"}}},
		}
		mustCreate(t, o, "/valid", "", 0)
		for _, tc := range bad {
			_, err := o.Create("/invalid", nil, 0, tc.acl)
			wantErr(t, "create "+tc.name, err, zk.ErrInvalidACL)
			_, err = o.SetACL("/valid", tc.acl, -1)
			wantErr(t, "setACL "+tc.name, err, zk.ErrInvalidACL)
		}
		// Perms are stored as given, even bits no permission uses.
		s := connect(t, srv.Addr)
		s.AddAuth("digest", []byte("super:secret"))
		for _, perms := range []int32{0, 32, -1} {
			p := fmt.Sprintf("/perms%d", perms)
			acl := []zk.ACL{{Perms: perms, Scheme: "world", ID: "anyone"}}
			if _, err := o.Create(p, nil, 0, acl); err != nil {
				t.Errorf("create with perms %d: %v", perms, err)
				continue
			}
			got, _, err := s.GetACL(p)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(acl) {
				t.Errorf("perms %d read back as %v, %v", perms, got, err)
			}
		}
	})
}

// TestAuthFailed: addauth with a scheme the server has no provider for is
// answered AUTHFAILED and the server closes the connection; the session
// itself lives on, and go-zookeeper resumes it.
func TestAuthFailed(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	sid := c.SessionID()
	mustCreate(t, c, "/mine", "", zk.FlagEphemeral)
	for _, scheme := range []string{"foo", "world", "super"} {
		err := c.AddAuth(scheme, []byte("x"))
		wantErr(t, "addauth "+scheme, err, zk.ErrAuthFailed)
		waitState(t, c, zk.StateDisconnected, eventWait)
		waitState(t, c, zk.StateHasSession, connectWait)
		if c.SessionID() != sid {
			t.Fatalf("session %#x after auth failure, was %#x", c.SessionID(), sid)
		}
		if st := mustStat(t, c, "/mine"); st.EphemeralOwner != sid {
			t.Errorf("ephemeral lost after auth failure")
		}
	}
	// The ip provider accepts anything: it adds the peer's own address.
	if err := c.AddAuth("ip", []byte("1.2.3.4")); err != nil {
		t.Errorf("addauth ip: %v", err)
	}
	// A digest credential without a colon is accepted too.
	if err := c.AddAuth("digest", []byte("nocolon")); err != nil {
		t.Errorf("addauth digest nocolon: %v", err)
	}
}
