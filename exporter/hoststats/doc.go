// Package hoststats reads what mntr cannot tell about a ZooKeeper server
// and node_exporter does not tie to it: the filesystems and block devices
// holding its dataDir and dataLogDir, and its process' memory, file
// descriptors and heap.
//
// Everything is read at scrape time from the local host, so it only
// applies to servers on the exporter's host:
//
//   - Filesystems (gopsutil disk.Usage): size, free (available to a
//     non-root user, which the server is) and used bytes and inodes of the
//     filesystem under each directory named in zoo.cfg.
//   - Devices (gopsutil disk.IOCounters, i.e. /proc/diskstats): bytes and
//     operations read and written, time busy, time spent writing, for the
//     block device under each of those filesystems, found from stat's
//     st_dev through /sys/dev/block. tmpfs and overlay have none.
//   - The process: found by the client port it listens on (/proc/net/tcp
//     and tcp6, then the socket's inode among /proc/*/fd), or from a pid
//     file. RSS and the fd limit come from /proc/PID/status and limits,
//     which anyone may read; the count of open fds needs /proc/PID/fd,
//     i.e. the server's user or root; so does finding the PID by port.
//   - The JVM heap of Apache ZooKeeper without JMX: HotSpot publishes its
//     GC counters in the hsperfdata file /tmp/hsperfdata_<user>/<pid>
//     (what jstat reads), readable by the JVM's user and root, and absent
//     under -XX:-UsePerfData. The file is reached through /proc/PID/root,
//     so a JVM in a container or with systemd's PrivateTmp is found too.
//     Used is the sum of the young and old generations' spaces, committed
//     and max the sums of their capacities. zkd's Go heap comes from its
//     mntr instead (see mntr.Report.Heap).
//
// A value that cannot be read is left out with a reason, never guessed.
package hoststats
