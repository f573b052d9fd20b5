package main

// The durability model: what a power failure would keep of a directory tree.
//
// Writes and name changes are applied to the backing directory at once (it plays the page cache:
// every read sees them), while the model remembers, in memory, what the last fsync made durable:
//
//   - per file, the size at the last fsync and the pre-images of the bytes below that size that were
//     overwritten, truncated away or punched out since (appends past the durable size cost nothing);
//   - per directory changed since its last fsync, the entries it had then (name -> inode), taken just
//     before its first change (a directory nobody changed is durable as it is);
//   - renames between two directories, which become durable as a whole once either directory is
//     fsynced (rename is one journal transaction on ext4);
//   - unlinked files and removed directories whose old name is still durable, kept alive under a
//     hidden trash directory in the backing tree until that name's removal is durable.
//
// Drop puts the backing tree in the state the model says survives: every durable name back in place,
// every non-durable name gone, every file's content cut back to its last fsync.
//
// With MetaJournal, any fsync (file or directory) makes every pending name change durable, which is
// what ext4's single journal does; with MetaStrict only the directory's own fsync does (POSIX).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// MetadataMode says what makes a name change (create, rename, unlink, mkdir, rmdir, link) durable.
type MetadataMode int

const (
	// MetaStrict: a name change is durable once its directory is fsynced (for a rename across
	// directories, either of the two).
	MetaStrict MetadataMode = iota
	// MetaJournal: any fsync, of a file or a directory, makes every pending name change durable.
	MetaJournal
)

func (m MetadataMode) String() string {
	if m == MetaJournal {
		return "journal"
	}
	return "strict"
}

// ParseMetadataMode reads the --metadata flag.
func ParseMetadataMode(s string) (MetadataMode, error) {
	switch s {
	case "strict", "":
		return MetaStrict, nil
	case "journal":
		return MetaJournal, nil
	}
	return MetaStrict, fmt.Errorf("unknown metadata mode %q (strict or journal)", s)
}

// StateDirName is the hidden directory at the backing root that holds the trash and the drop's
// staging area; the mount never shows it.
const StateDirName = ".lossyfs"

type dent struct {
	Ino  uint64
	Mode uint32
}

type extent struct {
	off  int64
	data []byte
}

const maxExtent = 1 << 20

func (e extent) end() int64 { return e.off + int64(len(e.data)) }

// fileState is what the model knows about one inode's data since its last fsync.
type fileState struct {
	mu          sync.Mutex
	durableSize int64
	liveSize    int64
	undo        []extent // pre-images of overwritten bytes below durableSize: sorted, disjoint
	undoBytes   int64
	dirty       bool
}

type renameRec struct {
	srcDir, dstDir   uint64
	srcName, dstName string
	ino              uint64
	mode             uint32
}

// Model is the durability model over one backing directory.
type Model struct {
	root string
	meta MetadataMode

	// mu: operations hold it shared, Drop and Sync exclusively.
	mu sync.RWMutex
	// ns serialises name changes and guards dirs, refs, renames, trash.
	ns sync.Mutex
	// filesMu guards the files map (each fileState has its own lock).
	filesMu sync.Mutex

	files   map[uint64]*fileState
	dirs    map[uint64]map[string]dent // tracked directories: their durable entries
	refs    map[uint64]int             // inode -> references from tracked dirs and pending renames
	renames []renameRec
	trash   map[uint64]bool
}

// NewModel starts a model over root: everything in it counts as durable. Leftovers of an earlier
// run in the hidden state directory are removed.
func NewModel(root string, meta MetadataMode) (*Model, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", abs)
	}
	m := &Model{root: abs, meta: meta}
	m.reset()
	if err := os.RemoveAll(filepath.Join(abs, StateDirName)); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.trashDir(), 0o700); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) reset() {
	m.files = map[uint64]*fileState{}
	m.dirs = map[uint64]map[string]dent{}
	m.refs = map[uint64]int{}
	m.renames = nil
	m.trash = map[uint64]bool{}
}

// Root is the backing directory.
func (m *Model) Root() string { return m.root }

// Meta is the metadata mode.
func (m *Model) Meta() MetadataMode { return m.meta }

// Abs maps a path relative to the backing root ("" is the root) to an absolute one.
func (m *Model) Abs(rel string) string { return filepath.Join(m.root, rel) }

func (m *Model) trashDir() string   { return filepath.Join(m.root, StateDirName, "trash") }
func (m *Model) stagingDir() string { return filepath.Join(m.root, StateDirName, "staging") }
func (m *Model) trashPath(ino uint64) string {
	return filepath.Join(m.trashDir(), strconv.FormatUint(ino, 10))
}

func lstat(path string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Lstat(path, &st)
	return st, err
}

func isDir(mode uint32) bool { return mode&unix.S_IFMT == unix.S_IFDIR }
func isReg(mode uint32) bool { return mode&unix.S_IFMT == unix.S_IFREG }

func pathErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}
