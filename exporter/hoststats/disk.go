package hoststats

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shirou/gopsutil/v3/disk"
)

// Dir is a directory the server writes to, by its zoo.cfg role.
type Dir struct {
	Role string // "dataDir" or "dataLogDir"
	Path string
}

// Filesystem is the space under one Dir.
type Filesystem struct {
	Dir    Dir
	Device string // block device name as in /proc/diskstats, "" if none
	// Size, Free (available to non-root users) and Used are in bytes.
	Size, Free, Used uint64
	// Inodes, InodesFree and InodesUsed count inodes; all 0 on
	// filesystems without a fixed inode table.
	Inodes, InodesFree, InodesUsed uint64
}

// StatFilesystem reads the filesystem holding d.Path.
func StatFilesystem(ctx context.Context, d Dir) (Filesystem, error) {
	u, err := disk.UsageWithContext(ctx, d.Path)
	if err != nil {
		return Filesystem{}, fmt.Errorf("hoststats: %s %s: %w", d.Role, d.Path, err)
	}
	return Filesystem{
		Dir:        d,
		Device:     blockDevice(d.Path),
		Size:       u.Total,
		Free:       u.Free,
		Used:       u.Used,
		Inodes:     u.InodesTotal,
		InodesFree: u.InodesFree,
		InodesUsed: u.InodesUsed,
	}, nil
}

// blockDevice names the block device under path ("vda", "sda1", "dm-0"),
// or "" for filesystems without one (tmpfs, overlay, NFS).
func blockDevice(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return ""
	}
	dev := uint64(st.Dev) //nolint:unconvert // Dev is uint64 on amd64 and arm64, not everywhere
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	if major == 0 {
		return "" // anonymous devices: tmpfs, overlay, NFS...
	}
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", major, minor))
	if err != nil {
		return ""
	}
	return filepath.Base(link)
}

// DeviceIO is the I/O of one block device since boot.
type DeviceIO struct {
	Device                    string
	Reads, Writes             uint64 // completed operations
	ReadBytes, WrittenBytes   uint64
	ReadTime, WriteTime, Busy time.Duration
}

// ReadDeviceIO reads /proc/diskstats for the named devices. A device
// missing there is left out.
func ReadDeviceIO(ctx context.Context, devices []string) ([]DeviceIO, error) {
	if len(devices) == 0 {
		return nil, nil
	}
	stats, err := disk.IOCountersWithContext(ctx, devices...)
	if err != nil {
		return nil, fmt.Errorf("hoststats: disk I/O of %v: %w", devices, err)
	}
	var out []DeviceIO
	for _, name := range devices {
		s, ok := stats[name]
		if !ok {
			continue
		}
		out = append(out, DeviceIO{
			Device:       name,
			Reads:        s.ReadCount,
			Writes:       s.WriteCount,
			ReadBytes:    s.ReadBytes,
			WrittenBytes: s.WriteBytes,
			ReadTime:     time.Duration(s.ReadTime) * time.Millisecond,
			WriteTime:    time.Duration(s.WriteTime) * time.Millisecond,
			Busy:         time.Duration(s.IoTime) * time.Millisecond,
		})
	}
	return out, nil
}
