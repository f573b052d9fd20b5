package main

// What makes changes durable: fsync of a directory, commits of pending name changes, sync, status.

import (
	"os"

	"golang.org/x/sys/unix"
)

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
