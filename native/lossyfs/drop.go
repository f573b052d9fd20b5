package main

// The power failure: Drop puts the backing tree back to what the model says survives.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

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
