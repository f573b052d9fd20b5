package main

// The FUSE side: a pass-through of the backing directory (go-fuse's loopback node) whose writes,
// truncations and name changes go through the durability model.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// LossyFS is a mounted lossy file system.
type LossyFS struct {
	model  *Model
	mount  string
	server *fuse.Server
	root   *node
}

type node struct {
	*fs.LoopbackNode
	lfs *LossyFS
}

var (
	_ fs.NodeWrapChilder    = (*node)(nil)
	_ fs.NodeLookuper       = (*node)(nil)
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.NodeReaddirer      = (*node)(nil)
	_ fs.NodeCreater        = (*node)(nil)
	_ fs.NodeOpener         = (*node)(nil)
	_ fs.NodeMkdirer        = (*node)(nil)
	_ fs.NodeMknoder        = (*node)(nil)
	_ fs.NodeSymlinker      = (*node)(nil)
	_ fs.NodeLinker         = (*node)(nil)
	_ fs.NodeUnlinker       = (*node)(nil)
	_ fs.NodeRmdirer        = (*node)(nil)
	_ fs.NodeRenamer        = (*node)(nil)
	_ fs.NodeSetattrer      = (*node)(nil)
	_ fs.NodeTmpfiler       = (*node)(nil)
	_ fs.NodeCopyFileRanger = (*node)(nil)
	_ fs.FileReaddirenter   = (*dirHandle)(nil)
	_ fs.FileSeekdirer      = (*dirHandle)(nil)
	_ fs.FileReleasedirer   = (*dirHandle)(nil)
	_ fs.FileFsyncdirer     = (*dirHandle)(nil)
	_ fs.FileReader         = (*fileHandle)(nil)
	_ fs.FileWriter         = (*fileHandle)(nil)
	_ fs.FileFsyncer        = (*fileHandle)(nil)
	_ fs.FileAllocater      = (*fileHandle)(nil)
	_ fs.FileSetattrer      = (*fileHandle)(nil)
	_ fs.FileGetattrer      = (*fileHandle)(nil)
	_ fs.FileReleaser       = (*fileHandle)(nil)
	_ fs.FileFlusher        = (*fileHandle)(nil)
	_ fs.FileLseeker        = (*fileHandle)(nil)
	_ fs.FileGetlker        = (*fileHandle)(nil)
	_ fs.FileSetlker        = (*fileHandle)(nil)
	_ fs.FileSetlkwer       = (*fileHandle)(nil)
)

// rel is the node's path relative to the backing root.
func (n *node) rel() string { return n.Path(n.Root()) }

func (n *node) isRoot() bool { return n.EmbeddedInode() == n.Root() }

func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return fs.ToErrno(err)
}

func (n *node) WrapChild(ctx context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	return &node{LoopbackNode: ops.(*fs.LoopbackNode), lfs: n.lfs}
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if n.isRoot() && name == StateDirName {
		return nil, syscall.ENOENT
	}
	return n.LoopbackNode.Lookup(ctx, name, out)
}

// preserveOwner gives a new name to the caller, as the loopback file system does when run as root.
func (n *node) preserveOwner(ctx context.Context, rel string) {
	if os.Getuid() != 0 {
		return
	}
	if caller, ok := fuse.FromContext(ctx); ok {
		_ = unix.Lchown(n.lfs.model.Abs(rel), int(caller.Uid), int(caller.Gid))
	}
}

// child answers a name-creating operation with the new node, the way a lookup would.
func (n *node) child(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.preserveOwner(ctx, filepath.Join(n.rel(), name))
	return n.LoopbackNode.Lookup(ctx, name, out)
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if n.isRoot() && name == StateDirName {
		return nil, nil, 0, syscall.EPERM
	}
	flags &^= uint32(fuse.FMODE_EXEC)
	h, err := n.lfs.model.Create(n.rel(), name, int(flags), mode)
	if err != nil {
		return nil, nil, 0, errno(err)
	}
	ch, e := n.child(ctx, name, out)
	if e != 0 {
		h.Close()
		return nil, nil, 0, e
	}
	return ch, newFileHandle(h), 0, 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	flags &^= uint32(fuse.FMODE_EXEC)
	h, err := n.lfs.model.Open(n.rel(), int(flags))
	if err != nil {
		return nil, 0, errno(err)
	}
	return newFileHandle(h), 0, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if n.isRoot() && name == StateDirName {
		return nil, syscall.EPERM
	}
	if err := n.lfs.model.Mkdir(n.rel(), name, mode); err != nil {
		return nil, errno(err)
	}
	return n.child(ctx, name, out)
}

func (n *node) Mknod(ctx context.Context, name string, mode, rdev uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if n.isRoot() && name == StateDirName {
		return nil, syscall.EPERM
	}
	if err := n.lfs.model.Mknod(n.rel(), name, mode, int(rdev)); err != nil {
		return nil, errno(err)
	}
	return n.child(ctx, name, out)
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if n.isRoot() && name == StateDirName {
		return nil, syscall.EPERM
	}
	if err := n.lfs.model.Symlink(target, n.rel(), name); err != nil {
		return nil, errno(err)
	}
	return n.child(ctx, name, out)
}

func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	t, ok := target.(*node)
	if !ok {
		return nil, syscall.EXDEV
	}
	if n.isRoot() && name == StateDirName {
		return nil, syscall.EPERM
	}
	if _, parent := t.Parent(); parent == nil {
		return nil, syscall.EXDEV
	}
	if err := n.lfs.model.Link(t.rel(), n.rel(), name); err != nil {
		return nil, errno(err)
	}
	return n.LoopbackNode.Lookup(ctx, name, out)
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return errno(n.lfs.model.Unlink(n.rel(), name))
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return errno(n.lfs.model.Rmdir(n.rel(), name))
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	if np.isRoot() && newName == StateDirName {
		return syscall.EPERM
	}
	return errno(n.lfs.model.Rename(n.rel(), name, np.rel(), newName, uint(flags)))
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		var err error
		if fh, ok := f.(*fileHandle); ok {
			err = fh.h.Truncate(int64(size))
		} else {
			err = n.lfs.model.TruncatePath(n.rel(), int64(size))
		}
		if err != nil {
			return errno(err)
		}
		in.Valid &^= fuse.FATTR_SIZE
	}
	return n.LoopbackNode.Setattr(ctx, f, in, out)
}

// Tmpfile: O_TMPFILE is not modelled; ENOSYS makes the kernel answer EOPNOTSUPP from now on.
func (n *node) Tmpfile(ctx context.Context, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.ENOSYS
}

// CopyFileRange: ENOSYS makes the kernel copy with reads and writes, which the model sees.
func (n *node) CopyFileRange(ctx context.Context, fhIn fs.FileHandle, offIn uint64, out *fs.Inode, fhOut fs.FileHandle, offOut uint64, length uint64, flags uint64) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	ds, e := fs.NewLoopbackDirStream(n.lfs.model.Abs(n.rel()))
	if e != 0 {
		return nil, 0, e
	}
	return &dirHandle{ds: ds, node: n, hide: n.isRoot()}, 0, 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	ds, e := fs.NewLoopbackDirStream(n.lfs.model.Abs(n.rel()))
	if e != 0 || !n.isRoot() {
		return ds, e
	}
	var list []fuse.DirEntry
	for ds.HasNext() {
		de, e := ds.Next()
		if e != 0 {
			ds.Close()
			return nil, e
		}
		if de.Name != StateDirName {
			list = append(list, de)
		}
	}
	ds.Close()
	return fs.NewListDirStream(list), 0
}

// dirHandle is an open directory: its listing (without the state directory at the root) and fsync.
type dirHandle struct {
	ds   fs.DirStream
	node *node
	hide bool
}

func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	r, ok := d.ds.(fs.FileReaddirenter)
	if !ok {
		return nil, syscall.ENOTSUP
	}
	for {
		de, e := r.Readdirent(ctx)
		if e != 0 || de == nil {
			return de, e
		}
		if d.hide && de.Name == StateDirName {
			continue
		}
		return de, 0
	}
}

func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	if s, ok := d.ds.(fs.FileSeekdirer); ok {
		return s.Seekdir(ctx, off)
	}
	return syscall.ENOTSUP
}

func (d *dirHandle) Releasedir(ctx context.Context, flags uint32) {
	if r, ok := d.ds.(fs.FileReleasedirer); ok {
		r.Releasedir(ctx, flags)
		return
	}
	d.ds.Close()
}

func (d *dirHandle) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	return errno(d.node.lfs.model.FsyncDir(d.node.rel()))
}

// fileHandle is an open file: reads straight from the backing file, writes through the model. It
// deliberately offers no passthrough fd (the kernel would then write around us).
type fileHandle struct {
	h  *Handle
	lf *fs.LoopbackFile
}

func newFileHandle(h *Handle) *fileHandle {
	return &fileHandle{h: h, lf: fs.NewLoopbackFileFromOS(h.File())}
}

func (f *fileHandle) Read(ctx context.Context, buf []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	return f.lf.Read(ctx, buf, off)
}

func (f *fileHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	n, err := f.h.WriteAt(data, off)
	return uint32(n), errno(err)
}

func (f *fileHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return errno(f.h.Sync())
}

func (f *fileHandle) Allocate(ctx context.Context, off uint64, size uint64, mode uint32) syscall.Errno {
	return errno(f.h.Allocate(mode, int64(off), int64(size)))
}

func (f *fileHandle) Setattr(ctx context.Context, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		if err := f.h.Truncate(int64(size)); err != nil {
			return errno(err)
		}
		in.Valid &^= fuse.FATTR_SIZE
	}
	return f.lf.Setattr(ctx, in, out)
}

func (f *fileHandle) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	return f.lf.Getattr(ctx, out)
}

func (f *fileHandle) Release(ctx context.Context) syscall.Errno { return f.lf.Release(ctx) }
func (f *fileHandle) Flush(ctx context.Context) syscall.Errno   { return f.lf.Flush(ctx) }

func (f *fileHandle) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	return f.lf.Lseek(ctx, off, whence)
}

func (f *fileHandle) Getlk(ctx context.Context, owner uint64, lk *fuse.FileLock, flags uint32, out *fuse.FileLock) syscall.Errno {
	return f.lf.Getlk(ctx, owner, lk, flags, out)
}

func (f *fileHandle) Setlk(ctx context.Context, owner uint64, lk *fuse.FileLock, flags uint32) syscall.Errno {
	return f.lf.Setlk(ctx, owner, lk, flags)
}

func (f *fileHandle) Setlkw(ctx context.Context, owner uint64, lk *fuse.FileLock, flags uint32) syscall.Errno {
	return f.lf.Setlkw(ctx, owner, lk, flags)
}

// ErrNoFuse means FUSE cannot be used here (no /dev/fuse, or the mount was refused).
var ErrNoFuse = errors.New("FUSE is not available")

// FuseAvailable says why FUSE cannot be used, or nil.
func FuseAvailable() error {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("%w: /dev/fuse is missing (no FUSE in this kernel or container; a container needs --device /dev/fuse --cap-add SYS_ADMIN)", ErrNoFuse)
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%w: cannot open /dev/fuse: %v", ErrNoFuse, err)
	}
	f.Close()
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: lossyfs mounts directly (no fusermount3) and needs root (or CAP_SYS_ADMIN)", ErrNoFuse)
	}
	return nil
}

// MountOptions are the knobs of Mount.
type MountOptions struct {
	Debug bool
}

// Mount mounts the model's backing directory at mountpoint.
func Mount(model *Model, mountpoint string, o MountOptions) (*LossyFS, error) {
	if err := FuseAvailable(); err != nil {
		return nil, err
	}
	mnt, err := filepath.Abs(mountpoint)
	if err != nil {
		return nil, err
	}
	// A mount point left by a lossyfs that died is "transport endpoint is not connected": detach it.
	if _, err := os.Stat(mnt); errors.Is(err, syscall.ENOTCONN) {
		_ = unix.Unmount(mnt, unix.MNT_DETACH)
	}
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Stat(model.Root(), &st); err != nil {
		return nil, err
	}
	l := &LossyFS{model: model, mount: mnt}
	rootData := &fs.LoopbackRoot{Path: model.Root(), Dev: uint64(st.Dev)}
	l.root = &node{LoopbackNode: &fs.LoopbackNode{RootData: rootData}, lfs: l}
	rootData.RootNode = l.root
	second := time.Second
	zero := time.Duration(0)
	opts := &fs.Options{
		MountOptions: fuse.MountOptions{
			DirectMountStrict:    true,
			AllowOther:           true,
			Options:              []string{"default_permissions"},
			FsName:               "lossyfs:" + model.Root(),
			Name:                 "lossyfs",
			MaxWrite:             1 << 20,
			DisabledCapabilities: fuse.CAP_PASSTHROUGH,
			// Without this the kernel asks for security.capability before every single write.
			DisableXAttrs: true,
			Debug:         o.Debug,
		},
		EntryTimeout: &second,
		AttrTimeout:  &second,
		// No negative entries: a drop can bring names back, and the kernel must not remember them as absent.
		NegativeTimeout: &zero,
	}
	server, err := fs.Mount(mnt, l.root, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: mounting %s failed: %v", ErrNoFuse, mnt, err)
	}
	l.server = server
	return l, nil
}

// Model is the durability model behind the mount.
func (l *LossyFS) Model() *Model { return l.model }

// Wait blocks until the file system is unmounted.
func (l *LossyFS) Wait() { l.server.Wait() }

// Unmount unmounts, lazily (detached) if the mount stays busy.
func (l *LossyFS) Unmount() error {
	if err := l.server.Unmount(); err != nil {
		if derr := unix.Unmount(l.mount, unix.MNT_DETACH); derr != nil {
			return fmt.Errorf("unmounting %s: %v (lazy: %v)", l.mount, err, derr)
		}
		return fmt.Errorf("%s was busy (%v): detached lazily", l.mount, err)
	}
	return nil
}

// Drop drops every write that was not fsynced, and makes the kernel forget what it cached.
func (l *LossyFS) Drop() (*DropSummary, error) {
	// Dirty pages of shared writable mappings are still in the kernel: flush them to us first, as
	// writes like any other (they were never fsynced either, so the drop takes them too).
	if fd, err := unix.Open(l.mount, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		_ = unix.Syncfs(fd)
		unix.Close(fd)
	}
	sum, err := l.model.Drop()
	l.invalidate()
	debug.FreeOSMemory() // the pre-images are gone: give their memory back
	return sum, err
}

// Sync makes everything durable.
func (l *LossyFS) Sync() {
	if fd, err := unix.Open(l.mount, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		_ = unix.Syncfs(fd)
		unix.Close(fd)
	}
	l.model.Sync()
}

// invalidate brings go-fuse's tree in line with the backing directory after a drop, and tells the
// kernel to forget every cached name, attribute and page.
func (l *LossyFS) invalidate() {
	type entry struct {
		parent *fs.Inode
		name   string
	}
	var entries []entry
	contents := []*fs.Inode{l.root.EmbeddedInode()}
	var walk func(dir *fs.Inode, rel string)
	walk = func(dir *fs.Inode, rel string) {
		for name, ch := range dir.Children() {
			p := filepath.Join(rel, name)
			entries = append(entries, entry{dir, name})
			st, err := lstat(l.model.Abs(p))
			sa := ch.StableAttr()
			if err != nil || st.Ino != sa.Ino || st.Mode&unix.S_IFMT != sa.Mode&unix.S_IFMT {
				dir.RmChild(name)
				continue
			}
			contents = append(contents, ch)
			if ch.IsDir() {
				walk(ch, p)
			}
		}
	}
	walk(l.root.EmbeddedInode(), "")
	for _, e := range entries {
		_ = e.parent.NotifyEntry(e.name)
	}
	for _, c := range contents {
		_ = c.NotifyContent(0, 0)
	}
}
