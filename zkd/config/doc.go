// Package config reads an Apache ZooKeeper server configuration as
// operators already have it: zoo.cfg, dataDir/myid, the dynamic config file,
// and the -D flags and -Xmx of conf/java.env.
//
// # Reading zoo.cfg
//
// zoo.cfg is a Java properties file. Each logical line is parsed with
// gopkg.in/ini.v1 (keys in the default section, case-sensitive, dots
// allowed, "=" or ":" between key and value, no inline comments, so values
// keep their ':' ';' '=' ','), and the package tracks line numbers itself so
// every message can name them:
//
//	zoo.cfg:7: clientPort: "abc" is not a number
//
// Lines starting with '#' or '!' are comments; a line ending in '\'
// continues; Java's backslash escapes are undone. Where Apache ZooKeeper
// would choke on something people write anyway, zkd reads it and warns:
// "tickTime=2000 #ms" (a comment after a value) is read as 2000.
//
// # Keys and names
//
// Every Apache ZooKeeper 3.8 key is accepted. Unknown keys produce a
// Warning and are kept in Config.Extra; they never stop the server. A bad
// value always does, with an *Error naming file, line and key (errors.Is
// tells ErrBadValue, ErrMissing, ErrMyID, ErrSyntax apart); all bad values
// are reported at once.
//
// Names are normalised: "zookeeper.X" and "X" are the same setting,
// wherever written. ZooKeeper itself turns an unparsed zoo.cfg key X into
// the system property zookeeper.X, so "snapCount=10000" in zoo.cfg and
// -Dzookeeper.snapCount=10000 were already the same; zkd also accepts
// system-property-only names in zoo.cfg (jute.maxbuffer,
// readonlymode.enabled, znode.container.checkIntervalMs,
// DigestAuthenticationProvider.superDigest...), which ZooKeeper would
// silently ignore there. If a key is given twice, the last one wins, with a
// warning.
//
// # Precedence
//
// From weakest to strongest:
//
//  1. Apache ZooKeeper's code defaults (Default). tickTime is 3000 there;
//     2000 is only zoo_sample.cfg's value.
//  2. -D system properties from java.env (LoadJavaEnv, then
//     ApplySystemProperties). Those for keys ZooKeeper reads only from
//     zoo.cfg (tickTime, dataDir, server.N...) are ignored, as in ZooKeeper.
//  3. zoo.cfg and its dynamic config file. ZooKeeper applies zoo.cfg keys
//     with System.setProperty after the JVM set the -D flags, so zoo.cfg
//     wins; so it does here.
//  4. Derived values (Validate): dataLogDir = dataDir,
//     minSessionTimeout = 2×tickTime and maxSessionTimeout = 20×tickTime when
//     0 or -1, connectToLearnerMasterLimit = initLimit, srvr (and isro in
//     read-only mode) always whitelisted, the client port from this server's
//     own server.N line, peerType from that line.
//
// # Paths
//
// Relative dataDir, dataLogDir and dynamicConfigFile are resolved against
// the directory holding zoo.cfg, not the working directory (ZooKeeper's
// choice), so a configuration shipped in a repository or package can say
// dataDir=data and mean the directory next to it.
//
// # Quorum and myid
//
// A configuration is standalone without server lines, or with a single
// participant while standaloneEnabled=true (ZooKeeper's rule). Otherwise
// dataDir/myid must hold this server's id, 1..255, one of the server.N
// lines; initLimit and syncLimit are required. Standalone() and Self()
// answer which case applies.
//
// # The conf four-letter word
//
// Dump returns the effective settings in the order and format of Apache
// ZooKeeper 3.8's conf output; FormatConf renders them byte for byte.
package config
