package main

// The data side of the model: open files, writes, truncates and fsyncs of file content.

import (
	"fmt"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

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
