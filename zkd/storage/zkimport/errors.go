package zkimport

import (
	"errors"
	"fmt"
)

// ErrCorrupt is matched (errors.Is) by every error that says a ZooKeeper
// file is damaged or is not what its name says.
var ErrCorrupt = errors.New("zkimport: damaged ZooKeeper file")

// ErrNoData is returned by Load when the directories hold no ZooKeeper
// snapshot.
var ErrNoData = errors.New("zkimport: no ZooKeeper data")

// FormatError says where a ZooKeeper file cannot be read.
type FormatError struct {
	File   string
	Offset int64 // byte offset of the field that failed
	// Stream is "" for the file's own bytes, or "gz"/"snappy" when Offset
	// counts uncompressed bytes.
	Stream string
	Reason string
}

func (e *FormatError) Error() string {
	where := fmt.Sprintf("offset %d", e.Offset)
	if e.Stream != "" {
		where = fmt.Sprintf("offset %d of the uncompressed %s stream", e.Offset, e.Stream)
	}
	return fmt.Sprintf("zkimport: %s at %s: %s", e.File, where, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *FormatError) Is(target error) bool { return target == ErrCorrupt }
