package zkimport

import (
	"fmt"
	"slices"
	"strings"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// configNode is not imported: it describes ZooKeeper's ensemble, and zkd's
// tree has its own.
const configNode = "/zookeeper/config"

// buildTree turns the replayed DataTree into a zkd tree: the sessions with
// the passwords ZooKeeper derives, then every node reachable from the root,
// parents first, with ZooKeeper's stored stat. A node the root cannot reach
// (left by a replayed delete of a node that still had children, which
// ZooKeeper never writes to a snapshot either) is not imported.
func buildTree(dt *dataTree, rep *Report) (*tree.Tree, error) {
	t := tree.New(tree.Options{})
	ids := make([]int64, 0, len(dt.sessions))
	for id := range dt.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.RestoreSession(id, dt.sessions[id], SessionPassword(id))
	}
	rep.Sessions = len(ids)

	root := dt.nodes[""]
	if root == nil {
		return nil, fmt.Errorf("%w: the tree has no root", ErrCorrupt)
	}
	acls := map[string]struct{}{}
	var walk func(zkPath string, n *znode) error
	walk = func(zkPath string, n *znode) error {
		path := zkPath
		if path == "" {
			path = "/"
		}
		if path == configNode || strings.HasPrefix(path, configNode+"/") {
			return nil
		}
		if n.badRef != nil {
			return fmt.Errorf("%w: node %s refers to ACL %d, which the snapshot's ACL table does not hold and no logged txn sets (ZOOKEEPER-4846)",
				ErrCorrupt, path, *n.badRef)
		}
		if err := t.RestoreNode(path, n.data, n.stat, n.acl); err != nil {
			return fmt.Errorf("zkimport: %w", err)
		}
		rep.Nodes++
		if isEphemeral(n.stat.EphemeralOwner) {
			rep.Ephemerals++
		}
		acls[aclKey(n.acl)] = struct{}{}
		names := make([]string, 0, len(n.children))
		for c := range n.children {
			names = append(names, c)
		}
		slices.Sort(names)
		for _, c := range names {
			child := dt.nodes[zkPath+"/"+c]
			if child == nil {
				return fmt.Errorf("%w: %s lists child %q, which does not exist", ErrCorrupt, path, c)
			}
			if err := walk(zkPath+"/"+c, child); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", root); err != nil {
		return nil, err
	}
	rep.ACLs = len(acls)
	t.SetLastZxid(dt.lastZxid)
	return t, nil
}

// aclKey identifies an ACL list's content.
func aclKey(acl []proto.ACL) string { return FormatACL(acl) }
