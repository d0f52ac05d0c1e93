package zkimport

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// File name prefixes in version-2 (FileSnap.SNAPSHOT_FILE_PREFIX,
// FileTxnLog.LOG_FILE_PREFIX) and the folder ZooKeeper keeps them in.
const (
	VersionDir = "version-2"
	snapPrefix = "snapshot"
	logPrefix  = "log"
)

// zxidFromName parses the zxid of "<prefix>.<hex>[.ext]" as ZooKeeper's
// Util.getZxidFromName does; ok is false for any other name.
func zxidFromName(name, prefix string) (zxid int64, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != prefix || parts[1] == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// Compression of a snapshot stream (SnapStream.StreamMode), picked from the
// name's last extension as ZooKeeper picks it.
const (
	StreamChecked = ""
	StreamGzip    = "gz"
	StreamSnappy  = "snappy"
)

func streamMode(name string) string {
	parts := strings.Split(name, ".")
	if len(parts) > 1 {
		switch strings.ToLower(parts[len(parts)-1]) {
		case "gz":
			return StreamGzip
		case "snappy":
			return StreamSnappy
		}
	}
	return StreamChecked
}

// decompress wraps the file's bytes in the reader for mode.
func decompress(r io.Reader, mode, file string) (io.Reader, error) {
	switch mode {
	case StreamGzip:
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<16))
		if err != nil {
			return nil, &FormatError{File: file, Offset: 0, Reason: fmt.Sprintf("not a gzip stream: %v", err)}
		}
		zr.Multistream(false)
		return zr, nil
	case StreamSnappy:
		return newSnappyReader(bufio.NewReaderSize(r, 1<<16), file), nil
	}
	return r, nil
}
