package main

// The name side of the model: creates, links, unlinks, renames, and the directory entries they change.

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

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
