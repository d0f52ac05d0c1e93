package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zkd/zkd/proto"
)

// javaDate formats milliseconds since the epoch as java.util.Date.toString
// does ("Thu Jan 01 00:00:00 UTC 1970"), which is what zkCli prints.
func javaDate(ms int64) string {
	return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
}

// formatStat renders a stat block exactly as zkCli's StatPrinter does.
func formatStat(s proto.Stat) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cZxid = 0x%x\n", uint64(s.Czxid))
	fmt.Fprintf(&b, "ctime = %s\n", javaDate(s.Ctime))
	fmt.Fprintf(&b, "mZxid = 0x%x\n", uint64(s.Mzxid))
	fmt.Fprintf(&b, "mtime = %s\n", javaDate(s.Mtime))
	fmt.Fprintf(&b, "pZxid = 0x%x\n", uint64(s.Pzxid))
	fmt.Fprintf(&b, "cversion = %d\n", s.Cversion)
	fmt.Fprintf(&b, "dataVersion = %d\n", s.Version)
	fmt.Fprintf(&b, "aclVersion = %d\n", s.Aversion)
	fmt.Fprintf(&b, "ephemeralOwner = 0x%x\n", uint64(s.EphemeralOwner))
	fmt.Fprintf(&b, "dataLength = %d\n", s.DataLength)
	fmt.Fprintf(&b, "numChildren = %d\n", s.NumChildren)
	return b.String()
}

// formatList renders a string list as Java's List.toString: "[a, b]".
func formatList(v []string) string {
	return "[" + strings.Join(v, ", ") + "]"
}

// permLetters are zkCli's permission letters in the order it prints them.
var permLetters = []struct {
	bit    int32
	letter byte
}{
	{proto.PermCreate, 'c'}, {proto.PermDelete, 'd'}, {proto.PermRead, 'r'},
	{proto.PermWrite, 'w'}, {proto.PermAdmin, 'a'},
}

func permString(p int32) string {
	var b []byte
	for _, l := range permLetters {
		if p&l.bit != 0 {
			b = append(b, l.letter)
		}
	}
	return string(b)
}

// formatACL renders an ACL list as getAcl prints it.
func formatACL(acls []proto.ACL) string {
	var b strings.Builder
	for _, a := range acls {
		fmt.Fprintf(&b, "'%s,'%s\n: %s\n", a.ID.Scheme, a.ID.ID, permString(a.Perms))
	}
	return b.String()
}

// parseACL reads zkCli's ACL syntax: scheme:id:perms[,scheme:id:perms...],
// where id may itself contain colons (digest user:hash).
func parseACL(s string) ([]proto.ACL, error) {
	var out []proto.ACL
	for _, part := range strings.Split(s, ",") {
		first, last := strings.Index(part, ":"), strings.LastIndex(part, ":")
		if first < 0 || first == last {
			return nil, fmt.Errorf("%s does not have the form scheme:id:perm", part)
		}
		perms, err := parsePerms(part[last+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, proto.ACL{Perms: perms, ID: proto.ID{Scheme: part[:first], ID: part[first+1 : last]}})
	}
	return out, nil
}

func parsePerms(s string) (int32, error) {
	var p int32
	for i := 0; i < len(s); i++ {
		found := false
		for _, l := range permLetters {
			if s[i] == l.letter {
				p |= l.bit
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("Unknown perm type: %c", s[i])
		}
	}
	return p, nil
}

// keeperMessages are KeeperException.Code messages, used in the generic
// "KeeperErrorCode = <msg> for <path>" form.
var keeperMessages = map[proto.ErrCode]string{
	proto.ErrSystemError: "SystemError", proto.ErrRuntimeInconsistency: "RuntimeInconsistency",
	proto.ErrDataInconsistency: "DataInconsistency", proto.ErrConnectionLoss: "ConnectionLoss",
	proto.ErrMarshallingError: "MarshallingError", proto.ErrUnimplemented: "Unimplemented",
	proto.ErrOperationTimeout: "OperationTimeout", proto.ErrBadArguments: "BadArguments",
	proto.ErrUnknownSession: "Unknown session", proto.ErrNewConfigNoQuorum: "NewConfigNoQuorum",
	proto.ErrReconfigInProgress: "ReconfigInProgress", proto.ErrAPIError: "APIError",
	proto.ErrNoNode: "NoNode", proto.ErrNoAuth: "NoAuth", proto.ErrBadVersion: "BadVersion",
	proto.ErrNoChildrenForEphemerals: "NoChildrenForEphemerals", proto.ErrNodeExists: "NodeExists",
	proto.ErrNotEmpty: "Directory not empty", proto.ErrSessionExpired: "Session expired",
	proto.ErrInvalidCallback: "Invalid callback", proto.ErrInvalidACL: "InvalidACL",
	proto.ErrAuthFailed: "AuthFailed", proto.ErrSessionMoved: "Session moved",
	proto.ErrNotReadOnly: "Not a read-only call", proto.ErrEphemeralOnLocalSession: "Ephemeral node on local session",
	proto.ErrNoWatcher: "No such watcher", proto.ErrRequestTimeout: "Request timeout",
	proto.ErrReconfigDisabled: "Reconfig is disabled", proto.ErrQuotaExceeded: "Quota has exceeded",
	proto.ErrThrottledOp:                  "Op throttled due to high load",
	proto.ErrSessionClosedRequireSASLAuth: "Session closed because client failed to authenticate",
}

// errMessage renders a failed call the way zkCli's CliWrapperException
// does: friendly sentences for the common codes, KeeperErrorCode otherwise.
func errMessage(err error, path string) string {
	var code proto.ErrCode
	if !errors.As(err, &code) {
		return err.Error()
	}
	switch code {
	case proto.ErrNoNode:
		return "Node does not exist: " + path
	case proto.ErrNodeExists:
		return "Node already exists: " + path
	case proto.ErrNotEmpty:
		return "Node not empty: " + path
	case proto.ErrBadVersion:
		return "version No is not valid : " + path
	case proto.ErrNoAuth:
		return "Insufficient permission : " + path
	case proto.ErrNoChildrenForEphemerals:
		return "Ephemerals cannot have children: " + path
	}
	msg, ok := keeperMessages[code]
	if !ok {
		msg = "Unknown error " + strconv.Itoa(int(code))
	}
	if path == "" {
		return "KeeperErrorCode = " + msg
	}
	return "KeeperErrorCode = " + msg + " for " + path
}

// eventTypeNames and stateNames are Watcher.Event's enum constant names.
var eventTypeNames = map[proto.EventType]string{
	proto.EventNone: "None", proto.EventNodeCreated: "NodeCreated", proto.EventNodeDeleted: "NodeDeleted",
	proto.EventNodeDataChanged: "NodeDataChanged", proto.EventNodeChildrenChanged: "NodeChildrenChanged",
	proto.EventDataWatchRemoved: "DataWatchRemoved", proto.EventChildWatchRemoved: "ChildWatchRemoved",
	proto.EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

var stateNames = map[proto.KeeperState]string{
	proto.StateUnknown: "Unknown", proto.StateDisconnected: "Disconnected",
	proto.StateNoSyncConnected: "NoSyncConnected", proto.StateSyncConnected: "SyncConnected",
	proto.StateAuthFailed: "AuthFailed", proto.StateConnectedReadOnly: "ConnectedReadOnly",
	proto.StateSASLAuthenticated: "SaslAuthenticated", proto.StateExpired: "Expired",
	proto.StateClosed: "Closed",
}

// formatEvent renders a watch event as zkCli's default watcher prints it.
func formatEvent(t proto.EventType, s proto.KeeperState, path string) string {
	if path == "" {
		path = "null"
	}
	return fmt.Sprintf("\nWATCHER::\n\nWatchedEvent state:%s type:%s path:%s\n", stateNames[s], eventTypeNames[t], path)
}

// promptState is the connection state as the prompt names it (ZooKeeper.States).
func promptState(s proto.KeeperState) string {
	switch s {
	case proto.StateSyncConnected:
		return "CONNECTED"
	case proto.StateConnectedReadOnly:
		return "CONNECTEDREADONLY"
	case proto.StateClosed, proto.StateExpired:
		return "CLOSED"
	case proto.StateAuthFailed:
		return "AUTH_FAILED"
	}
	return "CONNECTING"
}

// validatePath applies ZooKeeper's client-side path rules (PathUtils) and
// returns zkCli's message for the first broken one.
func validatePath(path string, sequential bool) error {
	if path == "" {
		return errors.New("Path length must be > 0")
	}
	if path[0] != '/' {
		return errors.New("Path must start with / character")
	}
	if len(path) == 1 {
		return nil
	}
	if !sequential && path[len(path)-1] == '/' {
		return errors.New("Path must not end with / character")
	}
	if sequential {
		path += "1"
	}
	for _, seg := range strings.Split(path[1:], "/") {
		switch seg {
		case "":
			return fmt.Errorf("empty node name specified @%d", strings.Index(path, "//")+1)
		case ".", "..":
			return fmt.Errorf("relative paths not allowed @%d", strings.Index(path, "/"+seg)+len(seg))
		}
	}
	return nil
}
