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
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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

// ---------------------------------------------------------------------------------------------
// Data

// Handle is an open backing file whose writes go through the model.
type Handle struct {
	m   *Model
	f   *os.File
	fd  int
	ino uint64
}

// File is the open backing file (reads may use it directly).
func (h *Handle) File() *os.File { return h.f }

// Ino is the backing inode number.
func (h *Handle) Ino() uint64 { return h.ino }

// Close closes the backing file.
func (h *Handle) Close() error { return h.f.Close() }

func (m *Model) newHandle(f *os.File) (*Handle, error) {
	var st unix.Stat_t
	fd := int(f.Fd())
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, err
	}
	return &Handle{m: m, f: f, fd: fd, ino: st.Ino}, nil
}

// state returns the inode's fileState, starting one (durable = as it is now) at the first change.
func (m *Model) state(ino uint64, fd int) (*fileState, error) {
	m.filesMu.Lock()
	defer m.filesMu.Unlock()
	if s := m.files[ino]; s != nil {
		return s, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	s := &fileState{durableSize: st.Size, liveSize: st.Size}
	m.files[ino] = s
	return s, nil
}

func (m *Model) forgetFile(ino uint64) {
	m.filesMu.Lock()
	delete(m.files, ino)
	m.filesMu.Unlock()
}

// capture saves the pre-images of [from, to) ∩ [0, durableSize) not saved yet. Caller holds s.mu.
func (s *fileState) capture(fd int, from, to int64) error {
	if to > s.durableSize {
		to = s.durableSize
	}
	if from < 0 {
		from = 0
	}
	if from >= to {
		return nil
	}
	i := sort.Search(len(s.undo), func(i int) bool { return s.undo[i].end() > from })
	first := i
	var added []extent
	pos := from
	for pos < to {
		if i < len(s.undo) && s.undo[i].off <= pos {
			pos = s.undo[i].end()
			i++
			continue
		}
		gapEnd := to
		if i < len(s.undo) && s.undo[i].off < gapEnd {
			gapEnd = s.undo[i].off
		}
		buf := make([]byte, gapEnd-pos)
		if err := preadFull(fd, buf, pos); err != nil {
			return err
		}
		added = append(added, extent{off: pos, data: buf})
		s.undoBytes += int64(len(buf))
		pos = gapEnd
	}
	if len(added) == 0 {
		return nil
	}
	// The common case: one gap right after the previous extent (sequential overwrites) - grow it,
	// up to maxExtent (bigger ones would make every append copy a large buffer).
	if len(added) == 1 && first > 0 && s.undo[first-1].end() == added[0].off &&
		len(s.undo[first-1].data)+len(added[0].data) <= maxExtent &&
		(first == len(s.undo) || s.undo[first].off > added[0].end()) {
		s.undo[first-1].data = append(s.undo[first-1].data, added[0].data...)
		return nil
	}
	merged := make([]extent, 0, len(s.undo)+len(added))
	merged = append(merged, s.undo[:first]...)
	j := first
	for _, a := range added {
		for j < len(s.undo) && s.undo[j].off < a.off {
			merged = append(merged, s.undo[j])
			j++
		}
		merged = append(merged, a)
	}
	merged = append(merged, s.undo[j:]...)
	s.undo = merged
	return nil
}

// openReadable opens write-only files read-write: saving pre-images needs to read them.
func openReadable(path string, flags int, mode os.FileMode) (*os.File, error) {
	flags |= unix.O_CLOEXEC
	if flags&unix.O_ACCMODE == unix.O_WRONLY {
		if f, err := os.OpenFile(path, flags&^unix.O_ACCMODE|unix.O_RDWR, mode); err == nil {
			return f, nil
		}
	}
	return os.OpenFile(path, flags, mode)
}

func preadFull(fd int, buf []byte, off int64) error {
	n, err := unix.Pread(fd, buf[:0], off)
	if err == unix.EBADF && n == 0 {
		// Not open for reading (the read-write upgrade was refused): read through a second descriptor.
		rfd, oerr := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if oerr != nil {
			return err
		}
		defer unix.Close(rfd)
		fd = rfd
	}
	for len(buf) > 0 {
		n, err := unix.Pread(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			// Shorter than the durable size: only if the file was changed behind the model's back.
			clear(buf)
			return nil
		}
		buf = buf[n:]
		off += int64(n)
	}
	return nil
}

func pwriteFull(fd int, buf []byte, off int64) error {
	for len(buf) > 0 {
		n, err := unix.Pwrite(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		buf = buf[n:]
		off += int64(n)
	}
	return nil
}

// WriteAt writes through to the backing file, first saving the durable bytes it overwrites.
func (h *Handle) WriteAt(p []byte, off int64) (int, error) {
	m := h.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, err := m.state(h.ino, h.fd)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if off < s.durableSize {
		if err := s.capture(h.fd, off, off+int64(len(p))); err != nil {
			return 0, err
		}
	}
	n, err := unix.Pwrite(h.fd, p, off)
	if n > 0 {
		s.dirty = true
		if end := off + int64(n); end > s.liveSize {
			s.liveSize = end
		}
	}
	return n, err
}

// Truncate sets the file size, first saving the durable bytes it cuts away.
func (h *Handle) Truncate(size int64) error {
	h.m.mu.RLock()
	defer h.m.mu.RUnlock()
	return h.m.truncateFd(h.ino, h.fd, size)
}

func (m *Model) truncateFd(ino uint64, fd int, size int64) error {
	s, err := m.state(ino, fd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.capture(fd, size, s.durableSize); err != nil {
		return err
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		return err
	}
	s.dirty = true
	s.liveSize = size
	return nil
}

// TruncatePath is truncate(2) by name.
func (m *Model) TruncatePath(rel string, size int64) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, err := os.OpenFile(m.Abs(rel), os.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	return m.truncateFd(st.Ino, int(f.Fd()), size)
}

// Allocate is fallocate(2): punching or zeroing a range, collapsing or inserting one, changes data.
func (h *Handle) Allocate(mode uint32, off, length int64) error {
	m := h.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, err := m.state(h.ino, h.fd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case mode&(unix.FALLOC_FL_COLLAPSE_RANGE|unix.FALLOC_FL_INSERT_RANGE) != 0:
		err = s.capture(h.fd, off, s.durableSize)
	case mode&(unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_ZERO_RANGE) != 0:
		err = s.capture(h.fd, off, off+length)
	}
	if err != nil {
		return err
	}
	if err := unix.Fallocate(h.fd, mode, off, length); err != nil {
		return err
	}
	s.dirty = true
	var st unix.Stat_t
	if unix.Fstat(h.fd, &st) == nil {
		s.liveSize = st.Size
	}
	return nil
}

// Sync is fsync/fdatasync of the file: its current content becomes durable (with MetaJournal, every
// pending name change too).
func (h *Handle) Sync() error {
	m := h.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.filesMu.Lock()
	s := m.files[h.ino]
	m.filesMu.Unlock()
	if s != nil {
		var st unix.Stat_t
		if err := unix.Fstat(h.fd, &st); err != nil {
			return err
		}
		s.mu.Lock()
		s.durableSize = st.Size
		s.liveSize = st.Size
		s.undo = nil
		s.undoBytes = 0
		s.dirty = false
		s.mu.Unlock()
	}
	if m.meta == MetaJournal {
		m.ns.Lock()
		m.commitAllLocked()
		m.ns.Unlock()
	}
	return nil
}

// Open opens an existing file. O_TRUNC goes through the model; O_APPEND is dropped (the kernel
// sends every write with its offset).
func (m *Model) Open(rel string, flags int) (*Handle, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.openLocked(rel, flags)
}

func (m *Model) openLocked(rel string, flags int) (*Handle, error) {
	trunc := flags&unix.O_TRUNC != 0 && flags&unix.O_ACCMODE != unix.O_RDONLY
	flags &^= unix.O_TRUNC | unix.O_APPEND | unix.O_CREAT | unix.O_EXCL
	f, err := openReadable(m.Abs(rel), flags, 0)
	if err != nil {
		return nil, err
	}
	h, err := m.newHandle(f)
	if err != nil {
		return nil, err
	}
	if trunc {
		if err := m.truncateFd(h.ino, h.fd, 0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return h, nil
}

// ---------------------------------------------------------------------------------------------
// Names

// track starts remembering a directory's durable entries before its first change. Caller holds ns.
func (m *Model) track(rel string) (uint64, error) {
	st, err := lstat(m.Abs(rel))
	if err != nil {
		return 0, err
	}
	if !isDir(st.Mode) {
		return 0, unix.ENOTDIR
	}
	if _, ok := m.dirs[st.Ino]; ok {
		return st.Ino, nil
	}
	entries, err := m.listDir(m.Abs(rel), rel == "")
	if err != nil {
		return 0, err
	}
	m.dirs[st.Ino] = entries
	for _, e := range entries {
		m.refs[e.Ino]++
	}
	return st.Ino, nil
}

func (m *Model) listDir(abs string, isRoot bool) (map[string]dent, error) {
	d, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	entries := make(map[string]dent, len(names))
	dfd := int(d.Fd())
	for _, name := range names {
		if isRoot && name == StateDirName {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return nil, err
		}
		entries[name] = dent{Ino: st.Ino, Mode: st.Mode}
	}
	return entries, nil
}

func (m *Model) untrack(ino uint64) {
	entries, ok := m.dirs[ino]
	if !ok {
		return
	}
	for _, e := range entries {
		m.unref(e.Ino)
	}
	delete(m.dirs, ino)
}

func (m *Model) unref(ino uint64) {
	if m.refs[ino] <= 1 {
		delete(m.refs, ino)
	} else {
		m.refs[ino]--
	}
}

func (m *Model) snapSet(dir uint64, name string, e dent) {
	entries := m.dirs[dir]
	if old, ok := entries[name]; ok {
		m.unref(old.Ino)
	}
	entries[name] = e
	m.refs[e.Ino]++
}

func (m *Model) snapDel(dir uint64, name string) {
	entries := m.dirs[dir]
	if old, ok := entries[name]; ok {
		m.unref(old.Ino)
		delete(entries, name)
	}
}

// removeName takes away a name whose inode may still be needed: when this was the inode's last link
// and some durable entry still names it, it moves to the trash instead. Caller holds ns.
func (m *Model) removeName(abs string, st unix.Stat_t) error {
	keep := m.refs[st.Ino] > 0
	if isDir(st.Mode) {
		if keep {
			if err := unix.Rename(abs, m.trashPath(st.Ino)); err != nil {
				return err
			}
			m.trash[st.Ino] = true
			return nil
		}
		if err := unix.Rmdir(abs); err != nil {
			return err
		}
		m.untrack(st.Ino)
		return nil
	}
	if keep && st.Nlink == 1 {
		if err := unix.Rename(abs, m.trashPath(st.Ino)); err != nil {
			return err
		}
		m.trash[st.Ino] = true
		return nil
	}
	if err := unix.Unlink(abs); err != nil {
		return err
	}
	if st.Nlink == 1 {
		m.forgetFile(st.Ino)
	}
	return nil
}

// Create makes a new regular file (or opens an existing one, unless O_EXCL).
func (m *Model) Create(dir, name string, flags int, mode uint32) (*Handle, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	rel := filepath.Join(dir, name)
	if _, err := lstat(m.Abs(rel)); err == nil {
		m.ns.Unlock()
		if flags&unix.O_EXCL != 0 {
			return nil, pathErr("create", rel, unix.EEXIST)
		}
		return m.openLocked(rel, flags)
	}
	defer m.ns.Unlock()
	if _, err := m.track(dir); err != nil {
		return nil, pathErr("create", rel, err)
	}
	flags &^= unix.O_TRUNC | unix.O_APPEND
	f, err := openReadable(m.Abs(rel), flags|unix.O_CREAT|unix.O_EXCL, os.FileMode(mode&0o777))
	if err != nil {
		return nil, err
	}
	h, err := m.newHandle(f)
	if err != nil {
		return nil, err
	}
	m.filesMu.Lock()
	m.files[h.ino] = &fileState{}
	m.filesMu.Unlock()
	return h, nil
}

// Mkdir makes a directory: new and empty, and durable as empty (its entries need its own fsync).
func (m *Model) Mkdir(dir, name string, mode uint32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	rel := filepath.Join(dir, name)
	if _, err := m.track(dir); err != nil {
		return pathErr("mkdir", rel, err)
	}
	if err := unix.Mkdir(m.Abs(rel), mode&0o7777); err != nil {
		return pathErr("mkdir", rel, err)
	}
	st, err := lstat(m.Abs(rel))
	if err != nil {
		return err
	}
	m.untrack(st.Ino)
	m.dirs[st.Ino] = map[string]dent{}
	return nil
}

// Mknod makes a special file (FIFO, socket, device).
func (m *Model) Mknod(dir, name string, mode uint32, dev int) error {
	return m.nameOp("mknod", dir, name, func(abs string) error { return unix.Mknod(abs, mode, dev) })
}

// Symlink makes a symbolic link.
func (m *Model) Symlink(target, dir, name string) error {
	return m.nameOp("symlink", dir, name, func(abs string) error { return unix.Symlink(target, abs) })
}

// Link makes a hard link to an existing file.
func (m *Model) Link(oldRel, dir, name string) error {
	return m.nameOp("link", dir, name, func(abs string) error { return unix.Link(m.Abs(oldRel), abs) })
}

func (m *Model) nameOp(op, dir, name string, do func(abs string) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	rel := filepath.Join(dir, name)
	if _, err := m.track(dir); err != nil {
		return pathErr(op, rel, err)
	}
	return pathErr(op, rel, do(m.Abs(rel)))
}

// Unlink removes a non-directory name.
func (m *Model) Unlink(dir, name string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	rel := filepath.Join(dir, name)
	st, err := lstat(m.Abs(rel))
	if err != nil {
		return pathErr("unlink", rel, err)
	}
	if isDir(st.Mode) {
		return pathErr("unlink", rel, unix.EISDIR)
	}
	if _, err := m.track(dir); err != nil {
		return pathErr("unlink", rel, err)
	}
	return pathErr("unlink", rel, m.removeName(m.Abs(rel), st))
}

func dirEmpty(abs string) (bool, error) {
	d, err := os.Open(abs)
	if err != nil {
		return false, err
	}
	defer d.Close()
	_, err = d.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

// Rmdir removes an empty directory.
func (m *Model) Rmdir(dir, name string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	rel := filepath.Join(dir, name)
	st, err := lstat(m.Abs(rel))
	if err != nil {
		return pathErr("rmdir", rel, err)
	}
	if !isDir(st.Mode) {
		return pathErr("rmdir", rel, unix.ENOTDIR)
	}
	if empty, err := dirEmpty(m.Abs(rel)); err != nil {
		return pathErr("rmdir", rel, err)
	} else if !empty {
		return pathErr("rmdir", rel, unix.ENOTEMPTY)
	}
	if _, err := m.track(dir); err != nil {
		return pathErr("rmdir", rel, err)
	}
	return pathErr("rmdir", rel, m.removeName(m.Abs(rel), st))
}

// Rename is rename(2)/renameat2(2) (RENAME_NOREPLACE, RENAME_EXCHANGE).
func (m *Model) Rename(dir, name, newDir, newName string, flags uint) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	src, dst := filepath.Join(dir, name), filepath.Join(newDir, newName)
	absSrc, absDst := m.Abs(src), m.Abs(dst)
	srcSt, err := lstat(absSrc)
	if err != nil {
		return pathErr("rename", src, err)
	}
	exchange := flags&unix.RENAME_EXCHANGE != 0
	dstSt, dstErr := lstat(absDst)
	victim := dstErr == nil && !exchange
	if victim && dstSt.Ino == srcSt.Ino {
		return pathErr("rename", src, unix.Renameat2(unix.AT_FDCWD, absSrc, unix.AT_FDCWD, absDst, flags))
	}
	srcDir, err := m.track(dir)
	if err != nil {
		return pathErr("rename", src, err)
	}
	dstDir, err := m.track(newDir)
	if err != nil {
		return pathErr("rename", dst, err)
	}
	// A replaced inode whose old name is still durable must survive the rename: keep a link to it
	// (a file) or move it to the trash first (an empty directory) - undone if the rename fails.
	undo := func() {}
	preserved := false
	if victim && flags&unix.RENAME_NOREPLACE == 0 && m.refs[dstSt.Ino] > 0 {
		tp := m.trashPath(dstSt.Ino)
		if isDir(dstSt.Mode) {
			if !isDir(srcSt.Mode) {
				return pathErr("rename", dst, unix.EISDIR)
			}
			if empty, err := dirEmpty(absDst); err != nil {
				return pathErr("rename", dst, err)
			} else if !empty {
				return pathErr("rename", dst, unix.ENOTEMPTY)
			}
			if err := unix.Rename(absDst, tp); err != nil {
				return pathErr("rename", dst, err)
			}
			undo = func() { _ = unix.Rename(tp, absDst) }
			preserved = true
		} else if !m.trash[dstSt.Ino] {
			if isDir(srcSt.Mode) {
				return pathErr("rename", dst, unix.ENOTDIR)
			}
			if err := unix.Link(absDst, tp); err != nil {
				return pathErr("rename", dst, err)
			}
			undo = func() { _ = unix.Unlink(tp) }
			preserved = true
		} else {
			preserved = true
		}
	}
	if err := unix.Renameat2(unix.AT_FDCWD, absSrc, unix.AT_FDCWD, absDst, flags); err != nil {
		undo()
		return pathErr("rename", src, err)
	}
	if preserved {
		m.trash[dstSt.Ino] = true
	} else if victim {
		if isDir(dstSt.Mode) {
			m.untrack(dstSt.Ino)
		} else if dstSt.Nlink == 1 {
			m.forgetFile(dstSt.Ino)
		}
	}
	if srcDir != dstDir {
		m.addRename(renameRec{srcDir: srcDir, srcName: name, dstDir: dstDir, dstName: newName, ino: srcSt.Ino, mode: srcSt.Mode})
		if exchange {
			m.addRename(renameRec{srcDir: dstDir, srcName: newName, dstDir: srcDir, dstName: name, ino: dstSt.Ino, mode: dstSt.Mode})
		}
	}
	return nil
}

func (m *Model) addRename(r renameRec) {
	m.renames = append(m.renames, r)
	m.refs[r.ino]++
}

// FsyncDir is fsync of a directory: its entries become durable (with MetaJournal, every pending
// name change does).
func (m *Model) FsyncDir(rel string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	if m.meta == MetaJournal {
		m.commitAllLocked()
		return nil
	}
	st, err := lstat(m.Abs(rel))
	if err != nil {
		return pathErr("fsync", rel, err)
	}
	m.commitLocked(st.Ino)
	return nil
}

func (m *Model) commitLocked(dir uint64) {
	m.untrack(dir)
	kept := m.renames[:0]
	for _, r := range m.renames {
		if r.srcDir != dir && r.dstDir != dir {
			kept = append(kept, r)
			continue
		}
		if r.srcDir != dir {
			if entries, ok := m.dirs[r.srcDir]; ok && entries[r.srcName].Ino == r.ino {
				m.snapDel(r.srcDir, r.srcName)
			}
		}
		if r.dstDir != dir {
			if _, ok := m.dirs[r.dstDir]; ok {
				m.snapSet(r.dstDir, r.dstName, dent{Ino: r.ino, Mode: r.mode})
			}
		}
		m.unref(r.ino)
	}
	m.renames = kept
	m.gcTrashLocked()
}

func (m *Model) commitAllLocked() {
	if len(m.dirs) == 0 && len(m.renames) == 0 && len(m.trash) == 0 {
		return
	}
	m.dirs = map[uint64]map[string]dent{}
	m.refs = map[uint64]int{}
	m.renames = nil
	m.gcTrashLocked()
}

// gcTrashLocked deletes trashed inodes no durable entry names any more.
func (m *Model) gcTrashLocked() {
	for ino := range m.trash {
		if m.refs[ino] > 0 {
			continue
		}
		p := m.trashPath(ino)
		if st, err := lstat(p); err == nil {
			if isDir(st.Mode) {
				_ = os.RemoveAll(p)
				m.untrack(ino)
			} else {
				_ = unix.Unlink(p)
				if st.Nlink == 1 {
					m.forgetFile(ino)
				}
			}
		}
		delete(m.trash, ino)
	}
}

// Sync makes everything durable, as a clean shutdown (or `sync`) would.
func (m *Model) Sync() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	m.commitAllLocked()
	m.files = map[uint64]*fileState{}
}

// Status is what would be lost now.
type Status struct {
	Metadata       string `json:"metadata"`
	DirtyFiles     int    `json:"dirtyFiles"`
	UnsyncedBytes  int64  `json:"unsyncedBytes"`
	ChangedDirs    int    `json:"changedDirs"`
	PendingRenames int    `json:"pendingRenames"`
	Trash          int    `json:"trash"`
}

// Status reports the model's pending (not durable) state.
func (m *Model) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Metadata: m.meta.String(), ChangedDirs: len(m.dirs), PendingRenames: len(m.renames), Trash: len(m.trash)}
	for _, s := range m.files {
		if s.dirty {
			st.DirtyFiles++
			st.UnsyncedBytes += s.undoBytes + max(0, s.liveSize-s.durableSize)
		}
	}
	return st
}

// ---------------------------------------------------------------------------------------------
// Drop

// FileDrop is one surviving file whose content lost its unsynced bytes.
type FileDrop struct {
	Path           string `json:"path"`
	SizeBefore     int64  `json:"sizeBefore"`
	SizeAfter      int64  `json:"sizeAfter"`
	DroppedBytes   int64  `json:"droppedBytes"`
	RevertedBytes  int64  `json:"revertedBytes"`
	TruncatedBytes int64  `json:"truncatedBytes"`
}

// NameDrop is a name the drop took away or brought back. A removed name whose inode survives under
// another (durable) name says which; otherwise Size is what the removed file held.
type NameDrop struct {
	Path        string `json:"path"`
	Type        string `json:"type"`
	Size        int64  `json:"size,omitempty"`
	DurablePath string `json:"durablePath,omitempty"`
}

// DropSummary is what a drop did.
type DropSummary struct {
	Metadata     string     `json:"metadata"`
	DroppedBytes int64      `json:"droppedBytes"`
	Files        []FileDrop `json:"files"`
	Removed      []NameDrop `json:"removed"`
	Restored     []NameDrop `json:"restored"`
	Missing      []string   `json:"missing,omitempty"`
	DurationMs   float64    `json:"durationMs"`
}

type liveEnt struct {
	path  string
	dent  dent
	size  int64
	depth int
}

func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFREG:
		return "file"
	case unix.S_IFLNK:
		return "symlink"
	}
	return "other"
}

func depthOf(rel string) int {
	if rel == "" {
		return 0
	}
	return strings.Count(rel, "/") + 1
}

// scan lists the live tree (without the state directory): every entry, and each directory's
// entries by inode.
func (m *Model) scan() ([]liveEnt, map[uint64]map[string]dent, error) {
	var ents []liveEnt
	byDir := map[uint64]map[string]dent{}
	var walk func(rel string, ino uint64) error
	walk = func(rel string, ino uint64) error {
		entries, err := m.listDir(m.Abs(rel), rel == "")
		if err != nil {
			return err
		}
		byDir[ino] = entries
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			e := entries[n]
			p := filepath.Join(rel, n)
			le := liveEnt{path: p, dent: e, depth: depthOf(p)}
			if isReg(e.Mode) {
				if st, err := lstat(m.Abs(p)); err == nil {
					le.size = st.Size
				}
			}
			ents = append(ents, le)
			if isDir(e.Mode) {
				if err := walk(p, e.Ino); err != nil {
					return err
				}
			}
		}
		return nil
	}
	st, err := lstat(m.root)
	if err != nil {
		return nil, nil, err
	}
	if err := walk("", st.Ino); err != nil {
		return nil, nil, err
	}
	return ents, byDir, nil
}

// Drop makes the backing tree what a power failure now would leave: each file cut back to its
// last fsync, each directory back to its durable entries.
func (m *Model) Drop() (*DropSummary, error) {
	start := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ns.Lock()
	defer m.ns.Unlock()
	sum := &DropSummary{Metadata: m.meta.String(), Files: []FileDrop{}, Removed: []NameDrop{}, Restored: []NameDrop{}}

	rootSt, err := lstat(m.root)
	if err != nil {
		return nil, err
	}
	ents, byDir, err := m.scan()
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", m.root, err)
	}
	// Trashed inodes: directories among them have (empty) listings too.
	trashNames, err := readNames(m.trashDir())
	if err != nil {
		return nil, err
	}
	trashed := map[uint64]dent{}
	for _, n := range trashNames {
		ino, perr := strconv.ParseUint(n, 10, 64)
		st, serr := lstat(filepath.Join(m.trashDir(), n))
		if perr != nil || serr != nil {
			continue
		}
		trashed[ino] = dent{Ino: st.Ino, Mode: st.Mode}
		if isDir(st.Mode) {
			if l, err := m.listDir(filepath.Join(m.trashDir(), n), false); err == nil {
				byDir[st.Ino] = l
			}
		}
	}

	// The durable tree, parents before children.
	type want struct {
		path string
		dent dent
	}
	var wants []want
	wantAt := map[string]uint64{}
	type qe struct {
		path string
		ino  uint64
	}
	queue := []qe{{"", rootSt.Ino}}
	seenDir := map[uint64]bool{rootSt.Ino: true}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		entries, tracked := m.dirs[d.ino]
		if !tracked {
			var ok bool
			if entries, ok = byDir[d.ino]; !ok {
				sum.Missing = append(sum.Missing, d.path)
				continue
			}
		}
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			e := entries[n]
			p := filepath.Join(d.path, n)
			if isDir(e.Mode) {
				if seenDir[e.Ino] {
					continue
				}
				seenDir[e.Ino] = true
				queue = append(queue, qe{p, e.Ino})
			}
			wants = append(wants, want{p, e})
			wantAt[p] = e.Ino
		}
	}

	// Live entries already where the durable tree wants them (and under kept parents) stay.
	kept := map[string]bool{"": true}
	placedAt := map[uint64]string{}
	for _, le := range ents { // scan order: parents before children
		if ino, ok := wantAt[le.path]; ok && ino == le.dent.Ino && kept[parentOf(le.path)] {
			kept[le.path] = true
			if _, ok := placedAt[ino]; !ok {
				placedAt[ino] = le.path
			}
		}
	}
	liveInos := map[uint64]liveEnt{}
	for _, le := range ents {
		if _, ok := liveInos[le.dent.Ino]; !ok {
			liveInos[le.dent.Ino] = le
		}
	}

	// Move everything else out of the way, deepest first, into the staging directory.
	staging := m.stagingDir()
	if err := os.RemoveAll(staging); err != nil {
		return nil, err
	}
	if err := os.Mkdir(staging, 0o700); err != nil {
		return nil, err
	}
	staged := map[uint64]bool{}
	stage := func(abs string, e dent) error {
		if staged[e.Ino] {
			if isDir(e.Mode) {
				return os.RemoveAll(abs)
			}
			return unix.Unlink(abs)
		}
		if err := unix.Rename(abs, filepath.Join(staging, strconv.FormatUint(e.Ino, 10))); err != nil {
			return err
		}
		staged[e.Ino] = true
		return nil
	}
	byDepth := make([]liveEnt, len(ents))
	copy(byDepth, ents)
	sort.SliceStable(byDepth, func(i, j int) bool { return byDepth[i].depth > byDepth[j].depth })
	for _, le := range byDepth {
		if kept[le.path] {
			continue
		}
		if err := stage(m.Abs(le.path), le.dent); err != nil {
			return nil, fmt.Errorf("drop: moving %s aside: %w", le.path, err)
		}
	}
	for ino, e := range trashed {
		if err := stage(m.trashPath(ino), e); err != nil {
			return nil, fmt.Errorf("drop: moving trashed inode %d: %w", ino, err)
		}
	}

	// Put the durable names back.
	for _, w := range wants {
		if kept[w.path] {
			continue
		}
		abs := m.Abs(w.path)
		if prev, ok := placedAt[w.dent.Ino]; ok && !isDir(w.dent.Mode) {
			if err := unix.Link(m.Abs(prev), abs); err != nil {
				return nil, fmt.Errorf("drop: linking %s: %w", w.path, err)
			}
		} else if staged[w.dent.Ino] {
			if err := unix.Rename(filepath.Join(staging, strconv.FormatUint(w.dent.Ino, 10)), abs); err != nil {
				return nil, fmt.Errorf("drop: restoring %s: %w", w.path, err)
			}
			staged[w.dent.Ino] = false
			placedAt[w.dent.Ino] = w.path
		} else {
			sum.Missing = append(sum.Missing, w.path)
			continue
		}
		nd := NameDrop{Path: w.path, Type: typeName(w.dent.Mode)}
		if st, err := lstat(abs); err == nil && isReg(st.Mode) {
			nd.Size = st.Size
		}
		sum.Restored = append(sum.Restored, nd)
	}

	// Names that are gone: live before, not durable anywhere.
	for _, le := range ents {
		if kept[le.path] {
			continue
		}
		nd := NameDrop{Path: le.path, Type: typeName(le.dent.Mode)}
		if p, ok := placedAt[le.dent.Ino]; ok {
			if p != le.path {
				nd.DurablePath = p
				sum.Removed = append(sum.Removed, nd)
			}
			continue
		}
		if le.path != liveInos[le.dent.Ino].path {
			sum.Removed = append(sum.Removed, nd) // another name of an inode counted already
			continue
		}
		nd.Size = le.size
		sum.Removed = append(sum.Removed, nd)
		if isReg(le.dent.Mode) {
			sum.DroppedBytes += le.size
		}
	}

	// Cut each surviving file back to its last fsync.
	inos := make([]uint64, 0, len(m.files))
	for ino := range m.files {
		inos = append(inos, ino)
	}
	sort.Slice(inos, func(i, j int) bool { return placedAt[inos[i]] < placedAt[inos[j]] })
	for _, ino := range inos {
		s := m.files[ino]
		p, ok := placedAt[ino]
		if !ok {
			continue
		}
		fd, err := revertFile(m.Abs(p), s)
		if err != nil {
			return nil, fmt.Errorf("drop: reverting %s: %w", p, err)
		}
		if fd.DroppedBytes > 0 || fd.SizeBefore != fd.SizeAfter {
			fd.Path = p
			sum.Files = append(sum.Files, fd)
			sum.DroppedBytes += fd.DroppedBytes
		}
	}

	if err := os.RemoveAll(staging); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(m.trashDir()); err != nil {
		return nil, err
	}
	if err := os.Mkdir(m.trashDir(), 0o700); err != nil {
		return nil, err
	}
	m.reset()
	sum.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return sum, nil
}

// parentOf is the parent of a relative path ("" for a top-level name).
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func revertFile(abs string, s *fileState) (FileDrop, error) {
	var fd FileDrop
	f, err := os.OpenFile(abs, os.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fd, err
	}
	defer f.Close()
	n := int(f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(n, &st); err != nil {
		return fd, err
	}
	fd.SizeBefore = st.Size
	for _, e := range s.undo {
		if err := pwriteFull(n, e.data, e.off); err != nil {
			return fd, err
		}
		fd.RevertedBytes += int64(len(e.data))
	}
	if err := unix.Ftruncate(n, s.durableSize); err != nil {
		return fd, err
	}
	fd.SizeAfter = s.durableSize
	// Pre-images cover what was cut below the durable size; the tail is what grew past it.
	fd.TruncatedBytes = max(0, st.Size-s.durableSize)
	fd.DroppedBytes = fd.RevertedBytes + fd.TruncatedBytes
	return fd, nil
}
