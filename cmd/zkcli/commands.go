package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"zkd/client"
	"zkd/zkd/proto"
)

// command is one zkCli command: its usage line (as zkCli prints it) and
// what it does with the words after its name.
type command struct {
	name  string
	usage string
	run   func(sh *shell, argv []string) error
}

// commands lists zkCli's commands in its help order.
func commands() []command {
	return []command{
		{"addWatch", "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE", cmdAddWatch},
		{"addauth", "addauth scheme auth", cmdAddAuth},
		{"close", "close ", cmdClose},
		{"config", "config [-c] [-w] [-s]", cmdConfig},
		{"connect", "connect host:port", cmdConnect},
		{"create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]", cmdCreate},
		{"delete", "delete [-v version] path", cmdDelete},
		{"deleteall", "deleteall path [-b batch size]", cmdDeleteAll},
		{"get", "get [-s] [-w] path", cmdGet},
		{"getAcl", "getAcl [-s] path", cmdGetACL},
		{"getAllChildrenNumber", "getAllChildrenNumber path", cmdAllChildren},
		{"getEphemerals", "getEphemerals path", cmdEphemerals},
		{"history", "history ", cmdHistory},
		{"ls", "ls [-s] [-w] [-R] path", cmdLs},
		{"printwatches", "printwatches on|off", cmdPrintWatches},
		{"quit", "quit ", func(*shell, []string) error { return errQuit }},
		{"removewatches", "removewatches path [-c|-d|-a] [-l]", cmdRemoveWatches},
		{"set", "set [-s] [-v version] path data", cmdSet},
		{"setAcl", "setAcl [-s] [-v version] [-R] path acl", cmdSetACL},
		{"stat", "stat [-w] path", cmdStat},
		{"sync", "sync path", cmdSync},
		{"whoami", "whoami ", cmdWhoAmI},
	}
}

func commandByName(name string) (command, bool) {
	if name == "help" {
		return command{name: "help", run: func(sh *shell, _ []string) error { sh.usage(); return nil }}, true
	}
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// commandNames is the completion list.
func commandNames() []string {
	names := []string{"help"}
	for _, c := range commands() {
		names = append(names, c.name)
	}
	sort.Strings(names)
	return names
}

// parseFor parses argv with spec and requires n positional arguments (at
// least min, at most max).
func parseFor(argv []string, min, max int, spec ...string) (parsed, error) {
	p, err := parseArgs(argv, spec...)
	if err != nil || len(p.args) < min || len(p.args) > max {
		return p, errUsage
	}
	return p, nil
}

func intFlag(p parsed, f string, def int32) (int32, error) {
	v, ok := p.flags[f]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, errUsage
	}
	return int32(n), nil
}

func cmdLs(sh *shell, argv []string) error {
	p, cli, path, err := pathCommand(sh, argv, 1, 1, "s", "w", "R")
	if err != nil {
		return err
	}
	if p.has("-R") {
		return lsRecursive(sh, cli, path)
	}
	kids, st, err := cli.Children(path, p.has("-w"))
	if err != nil {
		return onPath(err, path)
	}
	sort.Strings(kids)
	fmt.Fprintln(sh.out, formatList(kids))
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

// lsRecursive prints path and its descendants depth first, children in
// sorted order, as ZKUtil.visitSubTreeDFS does.
func lsRecursive(sh *shell, cli *client.Client, path string) error {
	kids, _, err := cli.Children(path, false)
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprintln(sh.out, path)
	sort.Strings(kids)
	for _, k := range kids {
		if err := lsRecursive(sh, cli, joinPath(path, k)); err != nil {
			var pe *pathError
			if errors.As(err, &pe) && errors.Is(pe.err, proto.ErrNoNode) {
				continue // deleted while we walked
			}
			return err
		}
	}
	return nil
}

func joinPath(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

func cmdGet(sh *shell, argv []string) error {
	p, cli, path, err := pathCommand(sh, argv, 1, 1, "s", "w")
	if err != nil {
		return err
	}
	data, st, err := cli.Get(path, p.has("-w"))
	if err != nil {
		return onPath(err, path)
	}
	printData(sh, data)
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

// printData prints node data as zkCli does: "null" for a null buffer.
func printData(sh *shell, data []byte) {
	if data == nil {
		fmt.Fprintln(sh.out, "null")
		return
	}
	fmt.Fprintln(sh.out, string(data))
}

func cmdStat(sh *shell, argv []string) error {
	p, cli, path, err := pathCommand(sh, argv, 1, 1, "w")
	if err != nil {
		return err
	}
	st, err := cli.Exists(path, p.has("-w"))
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprint(sh.out, formatStat(st))
	return nil
}

func cmdCreate(sh *shell, argv []string) error {
	p, err := parseFor(argv, 1, 3, "s", "e", "c", "t:")
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	seq, eph, cont := p.has("-s"), p.has("-e"), p.has("-c")
	var ttl time.Duration
	if v, ok := p.flags["-t"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errUsage
		}
		ttl = time.Duration(n) * time.Millisecond
	}
	switch {
	case cont && (seq || eph):
		return errors.New("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.")
	case ttl > 0 && eph:
		return errors.New("TTLs cannot be used with Ephemeral znodes")
	case ttl > 0 && cont:
		return errors.New("TTLs cannot be used with Container znodes")
	}
	mode := proto.ModePersistent
	switch {
	case cont:
		mode = proto.ModeContainer
	case ttl > 0 && seq:
		mode = proto.ModePersistentSequentialWithTTL
	case ttl > 0:
		mode = proto.ModePersistentWithTTL
	case eph && seq:
		mode = proto.ModeEphemeralSequential
	case eph:
		mode = proto.ModeEphemeral
	case seq:
		mode = proto.ModePersistentSequential
	}
	path := p.args[0]
	if err := validatePath(path, seq); err != nil {
		return err
	}
	var data []byte
	if len(p.args) > 1 {
		data = []byte(p.args[1])
	}
	var acl []proto.ACL
	if len(p.args) > 2 {
		if acl, err = parseACL(p.args[2]); err != nil {
			return err
		}
	}
	created, _, err := cli.Create(path, data, acl, mode, ttl)
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprintf(sh.errw, "Created %s\n", created)
	return nil
}

func cmdSet(sh *shell, argv []string) error {
	p, err := parseFor(argv, 2, 2, "s", "v:")
	if err != nil {
		return err
	}
	version, err := intFlag(p, "-v", -1)
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return err
	}
	st, err := cli.Set(path, []byte(p.args[1]), version)
	if err != nil {
		return onPath(err, path)
	}
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

func cmdDelete(sh *shell, argv []string) error {
	p, err := parseFor(argv, 1, 1, "v:")
	if err != nil {
		return err
	}
	version, err := intFlag(p, "-v", -1)
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return err
	}
	return onPath(cli.Delete(path, version), path)
}

// cmdDeleteAll deletes a subtree, deepest nodes first, as ZKUtil's
// deleteRecursive does.
func cmdDeleteAll(sh *shell, argv []string) error {
	_, cli, path, err := pathCommand(sh, argv, 1, 1, "b:")
	if err != nil {
		return err
	}
	nodes := []string{path}
	for i := 0; i < len(nodes); i++ {
		kids, _, err := cli.Children(nodes[i], false)
		if err != nil {
			if i == 0 {
				return onPath(err, path)
			}
			continue
		}
		for _, k := range kids {
			nodes = append(nodes, joinPath(nodes[i], k))
		}
	}
	failed := false
	for i := len(nodes) - 1; i >= 0; i-- {
		if err := cli.Delete(nodes[i], -1); err != nil && !errors.Is(err, proto.ErrNoNode) {
			failed = true
		}
	}
	if failed {
		return errors.New("Failed to delete some node(s) in the subtree!")
	}
	return nil
}

func cmdGetACL(sh *shell, argv []string) error {
	p, cli, path, err := pathCommand(sh, argv, 1, 1, "s")
	if err != nil {
		return err
	}
	acl, st, err := cli.GetACL(path)
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprint(sh.out, formatACL(acl))
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

func cmdSetACL(sh *shell, argv []string) error {
	p, err := parseFor(argv, 2, 2, "s", "v:", "R")
	if err != nil {
		return err
	}
	version, err := intFlag(p, "-v", -1)
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return err
	}
	acl, err := parseACL(p.args[1])
	if err != nil {
		return err
	}
	if p.has("-R") {
		return setACLRecursive(cli, path, acl)
	}
	st, err := cli.SetACL(path, acl, version)
	if err != nil {
		return onPath(err, path)
	}
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

func setACLRecursive(cli *client.Client, path string, acl []proto.ACL) error {
	if _, err := cli.SetACL(path, acl, -1); err != nil {
		return onPath(err, path)
	}
	kids, _, err := cli.Children(path, false)
	if err != nil {
		return onPath(err, path)
	}
	sort.Strings(kids)
	for _, k := range kids {
		if err := setACLRecursive(cli, joinPath(path, k), acl); err != nil {
			return err
		}
	}
	return nil
}

func cmdAddAuth(sh *shell, argv []string) error {
	p, err := parseFor(argv, 1, 2)
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	var auth []byte
	if len(p.args) > 1 {
		auth = []byte(p.args[1])
	}
	return onPath(cli.AddAuth(p.args[0], auth), "")
}

func cmdSync(sh *shell, argv []string) error {
	_, cli, path, err := pathCommand(sh, argv, 1, 1)
	if err != nil {
		return err
	}
	if err := cli.Sync(path); err != nil {
		var code proto.ErrCode
		if errors.As(err, &code) {
			return fmt.Errorf("Sync has failed rc=%d", int32(code))
		}
		return onPath(err, path)
	}
	fmt.Fprintln(sh.out, "Sync is OK")
	return nil
}

func cmdConfig(sh *shell, argv []string) error {
	p, err := parseFor(argv, 0, 0, "c", "w", "s")
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	data, st, err := cli.GetConfig(p.has("-w"))
	if err != nil {
		return onPath(err, client.ConfigPath)
	}
	if p.has("-c") {
		fmt.Fprintln(sh.out, clientConfig(string(data)))
	} else {
		fmt.Fprintln(sh.out, string(data))
	}
	if p.has("-s") {
		fmt.Fprint(sh.out, formatStat(st))
	}
	return nil
}

// clientConfig is ConfigUtils.getClientConfigStr: the config version and
// the client addresses of the servers, "version host:port,host:port".
func clientConfig(cfg string) string {
	var version string
	var addrs []string
	for _, line := range strings.Split(cfg, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		if k == "version" {
			version = v
			continue
		}
		if !strings.HasPrefix(k, "server.") {
			continue
		}
		_, client, ok := strings.Cut(v, ";")
		if !ok {
			continue
		}
		if !strings.Contains(client, ":") {
			host, _, _ := strings.Cut(v, ":")
			client = host + ":" + client
		}
		addrs = append(addrs, client)
	}
	return version + " " + strings.Join(addrs, ",")
}

func cmdWhoAmI(sh *shell, argv []string) error {
	if _, err := parseFor(argv, 0, 0); err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	ids, err := cli.WhoAmI()
	if err != nil {
		return onPath(err, "")
	}
	var b strings.Builder
	b.WriteString("Auth scheme: User\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s: %s\n", id.AuthScheme, id.User)
	}
	fmt.Fprint(sh.out, b.String())
	return nil
}

func cmdEphemerals(sh *shell, argv []string) error {
	p, err := parseFor(argv, 0, 1)
	if err != nil {
		return err
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := "/"
	if len(p.args) > 0 {
		path = p.args[0]
	}
	eph, err := cli.GetEphemerals(path)
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprintln(sh.out, formatList(eph))
	return nil
}

func cmdAllChildren(sh *shell, argv []string) error {
	_, cli, path, err := pathCommand(sh, argv, 1, 1)
	if err != nil {
		return err
	}
	n, err := cli.GetAllChildrenNumber(path)
	if err != nil {
		return onPath(err, path)
	}
	fmt.Fprintln(sh.out, n)
	return nil
}

func cmdAddWatch(sh *shell, argv []string) error {
	p, err := parseFor(argv, 1, 1, "m:")
	if err != nil {
		return err
	}
	mode := proto.AddWatchPersistentRecursive
	if m, ok := p.flags["-m"]; ok {
		switch strings.ToUpper(m) {
		case "PERSISTENT":
			mode = proto.AddWatchPersistent
		case "PERSISTENT_RECURSIVE":
		default:
			return fmt.Errorf("Unsupported mode: %s", m)
		}
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return err
	}
	return onPath(cli.AddWatch(path, mode), path)
}

func cmdRemoveWatches(sh *shell, argv []string) error {
	p, err := parseFor(argv, 1, 1, "c", "d", "a", "l")
	if err != nil {
		return err
	}
	kind := proto.WatcherAny
	switch {
	case p.has("-c"):
		kind = proto.WatcherChildren
	case p.has("-d"):
		kind = proto.WatcherData
	}
	cli, err := sh.client()
	if err != nil {
		return err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return err
	}
	return onPath(cli.RemoveWatches(path, kind, p.has("-l")), path)
}

func cmdPrintWatches(sh *shell, argv []string) error {
	if len(argv) == 0 {
		state := "off"
		if sh.printWatch.Load() {
			state = "on"
		}
		fmt.Fprintln(sh.out, "printwatches is "+state)
		return nil
	}
	sh.printWatch.Store(argv[0] == "on")
	return nil
}

func cmdConnect(sh *shell, argv []string) error {
	if len(argv) > 1 {
		return errUsage
	}
	if len(argv) == 1 {
		sh.server = argv[0]
	}
	if err := sh.connect(); err != nil {
		return err
	}
	return nil
}

func cmdClose(sh *shell, _ []string) error {
	sh.close()
	return nil
}

func cmdHistory(sh *shell, _ []string) error {
	sh.mu.Lock()
	h := append([]string(nil), sh.history...)
	base := sh.commandNum - len(h)
	sh.mu.Unlock()
	start := max(0, len(h)-10)
	for i := start; i < len(h); i++ {
		fmt.Fprintf(sh.out, "%d - %s\n", base+i, h[i])
	}
	return nil
}

// pathCommand is the start most commands share, in zkCli.sh's order of
// complaints: parse the arguments, need a connection, then check the path
// (the first argument).
func pathCommand(sh *shell, argv []string, minArgs, maxArgs int, flags ...string) (parsed, *client.Client, string, error) {
	p, err := parseFor(argv, minArgs, maxArgs, flags...)
	if err != nil {
		return parsed{}, nil, "", err
	}
	cli, err := sh.client()
	if err != nil {
		return parsed{}, nil, "", err
	}
	path := p.args[0]
	if err := validatePath(path, false); err != nil {
		return parsed{}, nil, "", err
	}
	return p, cli, path, nil
}
