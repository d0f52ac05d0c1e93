// Package diff runs one scripted ZooKeeper scenario with each real client
// people use — kazoo (Python), zkCli.sh (Java) and cli_mt (C) — against
// Apache ZooKeeper 3.8 and against zkd, and requires the two transcripts to
// be the same.
//
// The scenarios live beside this file (scenario_kazoo.py, scenario_zkcli.txt,
// scenario_climt.txt). A run goes:
//
//  1. start a fresh server with internal/ztest (Apache from Debian's jars,
//     zkd built from ./cmd/zkd), with the options the scenario needs;
//  2. drive the client with the scenario and capture what it prints;
//  3. normalise the output (Normalizer): drop start-up noise, move lines
//     printed by other threads of the client to sections of their own, mask
//     times, rename zxids and session ids to labels (Z1, S1, ...) in order of
//     first appearance, sort lists whose order ZooKeeper leaves unspecified;
//  4. compare: the Apache transcript with testdata/<client>.golden (so the
//     scenario itself is pinned; regenerate with go test ./test/diff -update)
//     and the zkd transcript with the Apache one, line by line.
//
// Renaming rather than masking zxids keeps their equalities in the
// transcript: a node's mzxid equal to its czxid after create, a parent's
// pzxid equal to its newest child's czxid, an ephemeral's owner equal to the
// session that made it.
//
// ZK_TARGET=apache runs only the Apache halves (and the golden checks). The
// seed checks (TestSeeds) run the shell commands of the install guides
// people follow — echo ruok | nc, echo mntr | nc, zkCli.sh ls / — against
// both servers and compare the shapes of the answers.
package diff
