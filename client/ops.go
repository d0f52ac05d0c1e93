package client

import (
	"errors"
	"fmt"
	"time"

	"zkd/zkd/proto"
)

// ConfigPath is where an ensemble publishes its dynamic configuration.
const ConfigPath = "/zookeeper/config"

// Go issues op with body req asynchronously; resp (may be nil) is decoded
// from the reply. The channel yields nil, a proto.ErrCode, or another error.
// It waits for a connection for up to the session timeout first.
func (c *Client) Go(op proto.OpCode, req, resp proto.Record) <-chan error {
	c.mu.Lock()
	wait := c.timeout
	c.mu.Unlock()
	if err := c.waitConnected(wait); err != nil {
		ch := make(chan error, 1)
		ch <- err
		return ch
	}
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn == nil {
		ch := make(chan error, 1)
		ch <- proto.ErrConnectionLoss
		return ch
	}
	return c.send(cn, op, req, resp)
}

// Do is Go, waited for.
func (c *Client) Do(op proto.OpCode, req, resp proto.Record) error {
	return <-c.Go(op, req, resp)
}

// watched records a watch the server accepted, for re-registration.
func (c *Client) watched(set func(*watchSet)) {
	c.mu.Lock()
	set(&c.watches)
	c.mu.Unlock()
}

// Create creates path; mode is a proto.Mode* value. The result is the
// created path (with its sequence suffix) and, from create2, its stat.
// ttl > 0 uses createTTL, a container mode createContainer.
func (c *Client) Create(path string, data []byte, acl []proto.ACL, mode int32, ttl time.Duration) (string, proto.Stat, error) {
	if acl == nil {
		acl = proto.OpenACLUnsafe()
	}
	var resp proto.Create2Response
	var err error
	switch {
	case ttl > 0 || mode == proto.ModePersistentWithTTL || mode == proto.ModePersistentSequentialWithTTL:
		req := proto.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: mode, TTL: int64(ttl / time.Millisecond)}
		err = c.Do(proto.OpCreateTTL, &req, &resp)
	case mode == proto.ModeContainer:
		req := proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: mode}
		err = c.Do(proto.OpCreateContainer, &req, &resp)
	default:
		req := proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: mode}
		err = c.Do(proto.OpCreate2, &req, &resp)
	}
	return resp.Path, resp.Stat, err
}

// Delete deletes path if its version matches (-1: any).
func (c *Client) Delete(path string, version int32) error {
	return c.Do(proto.OpDelete, &proto.DeleteRequest{Path: path, Version: version}, nil)
}

// Exists returns the stat of path; a missing node is proto.ErrNoNode. With
// watch, a watch is left either way (on creation for a missing node).
func (c *Client) Exists(path string, watch bool) (proto.Stat, error) {
	var resp proto.ExistsResponse
	err := c.Do(proto.OpExists, &proto.ExistsRequest{Path: path, Watch: watch}, &resp)
	if watch && (err == nil || errors.Is(err, proto.ErrNoNode)) {
		c.watched(func(w *watchSet) {
			if err == nil {
				w.data[path] = true
			} else {
				w.exist[path] = true
			}
		})
	}
	return resp.Stat, err
}

// Get returns the data (nil for a null buffer) and stat of path.
func (c *Client) Get(path string, watch bool) ([]byte, proto.Stat, error) {
	var resp proto.GetDataResponse
	err := c.Do(proto.OpGetData, &proto.GetDataRequest{Path: path, Watch: watch}, &resp)
	if watch && err == nil {
		c.watched(func(w *watchSet) { w.data[path] = true })
	}
	return resp.Data, resp.Stat, err
}

// Set replaces the data of path if its version matches (-1: any).
func (c *Client) Set(path string, data []byte, version int32) (proto.Stat, error) {
	var resp proto.SetDataResponse
	err := c.Do(proto.OpSetData, &proto.SetDataRequest{Path: path, Data: data, Version: version}, &resp)
	return resp.Stat, err
}

// Children returns the children of path (unsorted, as the server sends
// them) and its stat.
func (c *Client) Children(path string, watch bool) ([]string, proto.Stat, error) {
	var resp proto.GetChildren2Response
	err := c.Do(proto.OpGetChildren2, &proto.GetChildren2Request{Path: path, Watch: watch}, &resp)
	if watch && err == nil {
		c.watched(func(w *watchSet) { w.child[path] = true })
	}
	return resp.Children, resp.Stat, err
}

// GetACL returns the ACL and stat of path.
func (c *Client) GetACL(path string) ([]proto.ACL, proto.Stat, error) {
	var resp proto.GetACLResponse
	err := c.Do(proto.OpGetACL, &proto.GetACLRequest{Path: path}, &resp)
	return resp.ACL, resp.Stat, err
}

// SetACL replaces the ACL of path if its ACL version matches (-1: any).
func (c *Client) SetACL(path string, acl []proto.ACL, version int32) (proto.Stat, error) {
	var resp proto.SetACLResponse
	err := c.Do(proto.OpSetACL, &proto.SetACLRequest{Path: path, ACL: acl, Version: version}, &resp)
	return resp.Stat, err
}

// Sync makes the connected server catch up with the leader on path.
func (c *Client) Sync(path string) error {
	var resp proto.SyncResponse
	return c.Do(proto.OpSync, &proto.SyncRequest{Path: path}, &resp)
}

// AddAuth adds an identity to the session ("digest", "user:password") and
// remembers it for reconnects. A rejected identity ends the session on the
// server side; the error is then proto.ErrAuthFailed.
func (c *Client) AddAuth(scheme string, auth []byte) error {
	pkt := proto.AuthPacket{Scheme: scheme, Auth: append([]byte(nil), auth...)}
	c.mu.Lock()
	c.auths = append(c.auths, pkt)
	wait := c.timeout
	c.mu.Unlock()
	if err := c.waitConnected(wait); err != nil {
		return err
	}
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn == nil {
		return proto.ErrConnectionLoss
	}
	// Auth replies carry xid -4 and are not matched to a call; a sync
	// behind it confirms the server has processed it (requests are ordered).
	if err := c.write(cn, proto.XidAuth, proto.OpAuth, &pkt, nil); err != nil {
		return err
	}
	if err := c.Do(proto.OpExists, &proto.ExistsRequest{Path: "/"}, &proto.ExistsResponse{}); err != nil {
		if c.State() == proto.StateAuthFailed {
			return proto.ErrAuthFailed
		}
		return err
	}
	return nil
}

// WhoAmI returns the identities of the session.
func (c *Client) WhoAmI() ([]proto.ClientInfo, error) {
	var resp proto.WhoAmIResponse
	err := c.Do(proto.OpWhoAmI, nil, &resp)
	return resp.ClientInfo, err
}

// GetEphemerals lists the session's ephemeral nodes under prefix.
func (c *Client) GetEphemerals(prefix string) ([]string, error) {
	var resp proto.GetEphemeralsResponse
	err := c.Do(proto.OpGetEphemerals, &proto.GetEphemeralsRequest{PrefixPath: prefix}, &resp)
	return resp.Ephemerals, err
}

// GetAllChildrenNumber counts the descendants of path.
func (c *Client) GetAllChildrenNumber(path string) (int32, error) {
	var resp proto.GetAllChildrenNumberResponse
	err := c.Do(proto.OpGetAllChildrenNumber, &proto.GetAllChildrenNumberRequest{Path: path}, &resp)
	return resp.TotalNumber, err
}

// AddWatch adds a persistent watch (proto.AddWatchPersistent or
// proto.AddWatchPersistentRecursive) on path.
func (c *Client) AddWatch(path string, mode int32) error {
	err := c.Do(proto.OpAddWatch, &proto.AddWatchRequest{Path: path, Mode: mode}, &proto.ErrorResponse{})
	if err == nil {
		c.watched(func(w *watchSet) {
			if mode == proto.AddWatchPersistentRecursive {
				w.recursive[path] = true
			} else {
				w.persistent[path] = true
			}
		})
	}
	return err
}

// RemoveWatches removes the session's watches of kind (proto.Watcher*) on
// path. With local, the client forgets them even when the server cannot be
// told (zkCli's -l).
func (c *Client) RemoveWatches(path string, kind int32, local bool) error {
	err := c.Do(proto.OpRemoveWatches, &proto.RemoveWatchesRequest{Path: path, Type: kind}, nil)
	if err == nil || local {
		c.watched(func(w *watchSet) { w.remove(path, kind) })
	}
	if local && (errors.Is(err, proto.ErrConnectionLoss) || errors.Is(err, proto.ErrNoWatcher)) {
		return nil
	}
	return err
}

// GetConfig returns the data and stat of /zookeeper/config.
func (c *Client) GetConfig(watch bool) ([]byte, proto.Stat, error) {
	return c.Get(ConfigPath, watch)
}

// Multi runs ops atomically (or, all reads, as multiRead). The error is the
// first failing op's code; results are returned in either case.
func (c *Client) Multi(ops ...proto.MultiOp) ([]proto.MultiResult, error) {
	req := proto.MultiRequest{Ops: ops}
	op := proto.OpMulti
	if req.ReadOnly() {
		op = proto.OpMultiRead
	}
	var resp proto.MultiResponse
	err := c.Do(op, &req, &resp)
	if err != nil {
		return resp.Results, err
	}
	for _, r := range resp.Results {
		if r.Type == proto.OpError && r.Err != proto.ErrOK {
			return resp.Results, fmt.Errorf("client: multi: %w", r.Err)
		}
	}
	return resp.Results, nil
}
