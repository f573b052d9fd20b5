package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// End to end: a real FUSE mount in this process, driven with ordinary file system calls.

// TestMain doubles as the mmap writer of TestMountedMmapWrites: touching a FUSE-backed mapping from
// the process that serves the mount can deadlock with the Go garbage collector (the faulting thread
// never reaches a safe point while the server goroutines are stopped), so that runs in a child.
func TestMain(m *testing.M) {
	if path := os.Getenv("LOSSYFS_TEST_MMAP_WRITE"); path != "" {
		if err := mmapWrite(path, os.Getenv("LOSSYFS_TEST_MMAP_SYNC") == "1"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// mmapWrite fills the second page of path through a shared mapping; with sync, msync and fsync.
func mmapWrite(path string, sync bool) error {
	page := os.Getpagesize()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	copy(mem[page:], bytes.Repeat([]byte("m"), page))
	if sync {
		if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
	}
	return unix.Munmap(mem)
}

func mountForTest(t *testing.T, meta MetadataMode) (*LossyFS, string, string) {
	t.Helper()
	if err := FuseAvailable(); err != nil {
		fmt.Printf("SKIP %s: %v\n", t.Name(), err)
		t.Skipf("no real mount: %v", err)
	}
	backing, mnt := t.TempDir(), t.TempDir()
	model, err := NewModel(backing, meta)
	if err != nil {
		t.Fatal(err)
	}
	lfs, err := Mount(model, mnt, MountOptions{Debug: os.Getenv("LOSSYFS_DEBUG") == "1"})
	if err != nil {
		if errors.Is(err, ErrNoFuse) {
			fmt.Printf("SKIP %s: %v\n", t.Name(), err)
			t.Skipf("no real mount: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lfs.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	return lfs, mnt, backing
}

func writeFile(t *testing.T, path string, data []byte, sync bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func syncDir(t *testing.T, dir string) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatalf("fsync %s: %v", dir, err)
	}
}

func expectContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes %.40q..., want %d bytes %.40q...", path, len(got), got, len(want), want)
	}
}

func expectMissing(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s: want it gone, got %v", path, err)
	}
}

func TestMountedDrop(t *testing.T) {
	lfs, mnt, backing := mountForTest(t, MetaStrict)
	at := func(name string) string { return filepath.Join(mnt, name) }
	A, B := bytes.Repeat([]byte("A"), 10000), bytes.Repeat([]byte("B"), 5000)

	writeFile(t, at("synced"), A, true)
	writeFile(t, at("torn"), A, true)
	writeFile(t, at("no-fsync"), A, false)
	writeFile(t, at("renamed"), A, true)
	writeFile(t, at("truncated"), A, true)
	writeFile(t, at("overwritten"), A, true)
	syncDir(t, mnt)

	writeFile(t, at("torn"), B, false)
	writeFile(t, at("new"), A, true) // fsynced, but its directory is not
	if err := os.Rename(at("renamed"), at("renamed-to")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(at("truncated"), 10); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(at("overwritten"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(B, 100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Read everything once, so the kernel has it cached.
	for _, n := range []string{"synced", "torn", "no-fsync", "renamed-to", "truncated", "overwritten", "new"} {
		if _, err := os.ReadFile(at(n)); err != nil {
			t.Fatal(err)
		}
	}

	sum, err := lfs.Drop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drop: %+v", sum)
	if len(sum.Removed) != 2 || sum.Removed[0] != (NameDrop{Path: "new", Type: "file", Size: int64(len(A))}) ||
		sum.Removed[1] != (NameDrop{Path: "renamed-to", Type: "file", DurablePath: "renamed"}) {
		t.Fatalf("removed: %+v", sum.Removed)
	}
	for _, dir := range []string{mnt, backing} {
		at := func(name string) string { return filepath.Join(dir, name) }
		expectContent(t, at("synced"), A)
		expectContent(t, at("torn"), A)
		expectContent(t, at("no-fsync"), nil)
		expectContent(t, at("renamed"), A)
		expectMissing(t, at("renamed-to"))
		expectContent(t, at("truncated"), A)
		expectContent(t, at("overwritten"), A)
		expectMissing(t, at("new"))
	}
	wantBytes := int64(len(B)) + int64(len(A)) + int64(len(A)) + int64(len(A)-10) + int64(len(B))
	if sum.DroppedBytes != wantBytes {
		t.Fatalf("droppedBytes %d, want %d", sum.DroppedBytes, wantBytes)
	}
	// The mount keeps working after a drop.
	writeFile(t, at("after"), []byte("x"), true)
	syncDir(t, mnt)
	expectContent(t, filepath.Join(backing, "after"), []byte("x"))
}

func TestMountedRenameDurableAfterDirFsync(t *testing.T) {
	lfs, mnt, _ := mountForTest(t, MetaStrict)
	at := func(name string) string { return filepath.Join(mnt, name) }
	if err := os.Mkdir(at("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, at("d/tmp"), []byte("new"), true)
	writeFile(t, at("d/cfg"), []byte("old"), true)
	syncDir(t, at("d"))
	syncDir(t, mnt)
	writeFile(t, at("d/tmp2"), []byte("newer"), true)
	if err := os.Rename(at("d/tmp"), at("d/cfg")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, at("d"))
	if err := os.Rename(at("d/tmp2"), at("d/cfg")); err != nil { // not fsynced: reverts to "new"
		t.Fatal(err)
	}
	expectContent(t, at("d/cfg"), []byte("newer"))
	if _, err := lfs.Drop(); err != nil {
		t.Fatal(err)
	}
	// The directory fsync made cfg (new) and tmp2 durable; the second rename was not.
	expectContent(t, at("d/cfg"), []byte("new"))
	expectContent(t, at("d/tmp2"), []byte("newer"))
	expectMissing(t, at("d/tmp"))
}

func TestMountedUnlinkAndNewDirectory(t *testing.T) {
	lfs, mnt, _ := mountForTest(t, MetaStrict)
	at := func(name string) string { return filepath.Join(mnt, name) }
	writeFile(t, at("durable"), []byte("keep me"), true)
	syncDir(t, mnt)
	if err := os.Remove(at("durable")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(at("x/y"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, at("x/y/f"), []byte("f"), true)
	syncDir(t, at("x/y"))
	syncDir(t, at("x"))
	if _, err := lfs.Drop(); err != nil {
		t.Fatal(err)
	}
	expectContent(t, at("durable"), []byte("keep me"))
	expectMissing(t, at("x"))
	entries, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "durable" {
		t.Fatalf("root lists %v (the state directory must stay hidden)", entries)
	}
	expectMissing(t, at(StateDirName))
}

func TestMountedJournalMode(t *testing.T) {
	lfs, mnt, _ := mountForTest(t, MetaJournal)
	at := func(name string) string { return filepath.Join(mnt, name) }
	writeFile(t, at("m"), []byte("lost"), false)
	writeFile(t, at("n"), []byte("data"), true) // no directory fsync: journal mode commits both names
	writeFile(t, at("o"), []byte("gone"), true)
	if err := os.Remove(at("o")); err != nil { // after the last fsync: o comes back
		t.Fatal(err)
	}
	if _, err := lfs.Drop(); err != nil {
		t.Fatal(err)
	}
	expectContent(t, at("n"), []byte("data"))
	expectContent(t, at("m"), nil)
	expectContent(t, at("o"), []byte("gone"))
}

func TestMountedConcurrentWriters(t *testing.T) {
	lfs, mnt, _ := mountForTest(t, MetaStrict)
	const writers, chunks, chunk = 8, 64, 8192
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			f, err := os.OpenFile(filepath.Join(mnt, fmt.Sprintf("w%d", w)), os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			buf := bytes.Repeat([]byte{byte('a' + w)}, chunk)
			for i := 0; i < chunks; i++ {
				if _, err := f.Write(buf); err != nil {
					errs <- err
					return
				}
				if i == w*4+3 { // each writer syncs at a different point
					if err := f.Sync(); err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	syncDir(t, mnt)
	if _, err := lfs.Drop(); err != nil {
		t.Fatal(err)
	}
	for w := 0; w < writers; w++ {
		expectContent(t, filepath.Join(mnt, fmt.Sprintf("w%d", w)), bytes.Repeat([]byte{byte('a' + w)}, (w*4+4)*chunk))
	}
}

func TestMountedMmapWrites(t *testing.T) {
	lfs, mnt, _ := mountForTest(t, MetaStrict)
	page := os.Getpagesize()
	for _, name := range []string{"msynced", "unsynced"} {
		writeFile(t, filepath.Join(mnt, name), bytes.Repeat([]byte("0"), 2*page), true)
	}
	syncDir(t, mnt)
	for _, name := range []string{"msynced", "unsynced"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LOSSYFS_TEST_MMAP_WRITE="+filepath.Join(mnt, name))
		if name == "msynced" {
			cmd.Env = append(cmd.Env, "LOSSYFS_TEST_MMAP_SYNC=1")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mmap writer: %v\n%s", err, out)
		}
	}
	t.Logf("before drop: %+v", lfs.Model().Status())
	sum, err := lfs.Drop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drop: %+v", sum.Files)
	expectContent(t, filepath.Join(mnt, "msynced"), append(bytes.Repeat([]byte("0"), page), bytes.Repeat([]byte("m"), page)...))
	expectContent(t, filepath.Join(mnt, "unsynced"), bytes.Repeat([]byte("0"), 2*page))
	// The kernel had nothing left to write back behind the drop's back.
	expectContent(t, filepath.Join(lfs.Model().Root(), "unsynced"), bytes.Repeat([]byte("0"), 2*page))
	if st := lfs.Model().Status(); st.DirtyFiles != 0 {
		t.Fatalf("writes after the drop: %+v", st)
	}
}
