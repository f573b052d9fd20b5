package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The model alone, on a temporary backing directory, without FUSE.

type mctx struct {
	t       *testing.T
	m       *Model
	handles map[string]*Handle
}

type op func(c *mctx)

func split(p string) (string, string) {
	d, n := filepath.Split(p)
	return strings.TrimSuffix(d, "/"), n
}

func (c *mctx) handle(p string) *Handle {
	if h := c.handles[p]; h != nil {
		return h
	}
	h, err := c.m.Open(p, os.O_RDWR)
	if err != nil {
		c.t.Fatalf("open %s: %v", p, err)
	}
	c.handles[p] = h
	return h
}

func must(c *mctx, what string, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

func create(p string) op {
	return func(c *mctx) {
		d, n := split(p)
		h, err := c.m.Create(d, n, os.O_RDWR, 0o644)
		must(c, "create "+p, err)
		c.handles[p] = h
	}
}

func writeAt(p string, off int64, data string) op {
	return func(c *mctx) {
		_, err := c.handle(p).WriteAt([]byte(data), off)
		must(c, "write "+p, err)
	}
}

func appendTo(p, data string) op {
	return func(c *mctx) {
		h := c.handle(p)
		var st unix.Stat_t
		must(c, "fstat", unix.Fstat(h.fd, &st))
		_, err := h.WriteAt([]byte(data), st.Size)
		must(c, "append "+p, err)
	}
}

func fsync(p string) op {
	return func(c *mctx) { must(c, "fsync "+p, c.handle(p).Sync()) }
}

func fsyncDir(p string) op {
	return func(c *mctx) { must(c, "fsync dir "+p, c.m.FsyncDir(p)) }
}

func truncate(p string, size int64) op {
	return func(c *mctx) { must(c, "truncate "+p, c.handle(p).Truncate(size)) }
}

func truncatePath(p string, size int64) op {
	return func(c *mctx) { must(c, "truncate "+p, c.m.TruncatePath(p, size)) }
}

func rename(a, b string) op {
	return func(c *mctx) {
		da, na := split(a)
		db, nb := split(b)
		must(c, "rename "+a+" "+b, c.m.Rename(da, na, db, nb, 0))
		if h := c.handles[a]; h != nil {
			delete(c.handles, a)
			c.handles[b] = h
		}
	}
}

func renameFlags(a, b string, flags uint) op {
	return func(c *mctx) {
		da, na := split(a)
		db, nb := split(b)
		err := c.m.Rename(da, na, db, nb, flags)
		if flags&unix.RENAME_NOREPLACE != 0 {
			if !errors.Is(err, unix.EEXIST) {
				c.t.Fatalf("rename noreplace %s %s: want EEXIST, got %v", a, b, err)
			}
			return
		}
		must(c, "rename "+a+" "+b, err)
	}
}

func unlink(p string) op {
	return func(c *mctx) {
		d, n := split(p)
		must(c, "unlink "+p, c.m.Unlink(d, n))
		delete(c.handles, p)
	}
}

func mkdir(p string) op {
	return func(c *mctx) {
		d, n := split(p)
		must(c, "mkdir "+p, c.m.Mkdir(d, n, 0o755))
	}
}

func rmdir(p string) op {
	return func(c *mctx) {
		d, n := split(p)
		must(c, "rmdir "+p, c.m.Rmdir(d, n))
	}
}

func link(a, b string) op {
	return func(c *mctx) {
		d, n := split(b)
		must(c, "link "+a+" "+b, c.m.Link(a, d, n))
	}
}

func symlink(target, p string) op {
	return func(c *mctx) {
		d, n := split(p)
		must(c, "symlink "+p, c.m.Symlink(target, d, n))
	}
}

func syncAll() op { return func(c *mctx) { c.m.Sync() } }

func drop() op {
	return func(c *mctx) {
		for _, h := range c.handles {
			h.Close()
		}
		c.handles = map[string]*Handle{}
		_, err := c.m.Drop()
		must(c, "drop", err)
	}
}

// tree describes a directory: "path" -> content for files, "path/" for directories, "path@" -> target
// for symlinks.
type tree map[string]string

func writeTree(t *testing.T, root string, tr tree) {
	keys := make([]string, 0, len(tr))
	for k := range tr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasSuffix(k, "/"):
			if err := os.MkdirAll(filepath.Join(root, k), 0o755); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(k, "@"):
			if err := os.Symlink(tr[k], filepath.Join(root, strings.TrimSuffix(k, "@"))); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.MkdirAll(filepath.Dir(filepath.Join(root, k)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, k), []byte(tr[k]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func readTree(t *testing.T, root string) tree {
	tr := tree{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if rel == StateDirName {
			return filepath.SkipDir
		}
		switch {
		case info.IsDir():
			tr[rel+"/"] = ""
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			tr[rel+"@"] = target
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tr[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func diffTrees(want, got tree) string {
	var out []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("missing %q", k))
		} else if g != v {
			out = append(out, fmt.Sprintf("%q: want %q, got %q", k, v, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("unexpected %q (%q)", k, got[k]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestModelDrop(t *testing.T) {
	cases := []struct {
		name  string
		meta  MetadataMode
		start tree
		ops   []op
		want  tree
	}{
		{"unsynced append vanishes", MetaStrict, tree{"a": "durable"},
			[]op{appendTo("a", "+more")}, tree{"a": "durable"}},
		{"synced append survives", MetaStrict, tree{"a": "durable"},
			[]op{appendTo("a", "+more"), fsync("a")}, tree{"a": "durable+more"}},
		{"torn file: synced prefix, unsynced tail gone", MetaStrict, tree{"a": ""},
			[]op{appendTo("a", "AAAA"), fsync("a"), appendTo("a", "BBBB")}, tree{"a": "AAAA"}},
		{"unsynced overwrite reverted", MetaStrict, tree{"a": "0123456789"},
			[]op{writeAt("a", 2, "xx"), writeAt("a", 7, "yyy")}, tree{"a": "0123456789"}},
		{"synced overwrite kept, later one reverted", MetaStrict, tree{"a": "0123456789"},
			[]op{writeAt("a", 2, "xx"), fsync("a"), writeAt("a", 5, "yy")}, tree{"a": "01xx456789"}},
		{"overwrite across the durable end", MetaStrict, tree{"a": "0123"},
			[]op{writeAt("a", 2, "abcdef"), writeAt("a", 1, "Z")}, tree{"a": "0123"}},
		{"overlapping overwrites keep the first pre-image", MetaStrict, tree{"a": "0123456789"},
			[]op{writeAt("a", 4, "aa"), writeAt("a", 2, "bbbbbb"), writeAt("a", 0, "cccccccccccc")}, tree{"a": "0123456789"}},
		{"unsynced truncate reverted", MetaStrict, tree{"a": "0123456789"},
			[]op{truncate("a", 3)}, tree{"a": "0123456789"}},
		{"truncate then rewrite reverted", MetaStrict, tree{"a": "0123456789"},
			[]op{truncate("a", 3), appendTo("a", "zz"), truncatePath("a", 1), appendTo("a", "q")}, tree{"a": "0123456789"}},
		{"synced truncate kept", MetaStrict, tree{"a": "0123456789"},
			[]op{truncate("a", 3), fsync("a"), appendTo("a", "zz")}, tree{"a": "012"}},
		{"extend by truncate reverted", MetaStrict, tree{"a": "01"},
			[]op{truncate("a", 100)}, tree{"a": "01"}},
		{"new file without directory fsync vanishes", MetaStrict, tree{},
			[]op{create("n"), appendTo("n", "data"), fsync("n")}, tree{}},
		{"new file with directory fsync but no file fsync is empty", MetaStrict, tree{},
			[]op{create("n"), appendTo("n", "data"), fsyncDir("")}, tree{"n": ""}},
		{"new file with both fsyncs survives", MetaStrict, tree{},
			[]op{create("n"), appendTo("n", "data"), fsync("n"), fsyncDir(""), appendTo("n", "+tail")}, tree{"n": "data"}},
		{"journal: a file fsync makes its name durable", MetaJournal, tree{},
			[]op{create("n"), appendTo("n", "data"), fsync("n")}, tree{"n": "data"}},
		{"journal: any fsync commits every name change", MetaJournal, tree{"a": "x", "d/": ""},
			[]op{create("d/n"), rename("a", "b"), create("c"), appendTo("c", "1"), fsync("c")},
			tree{"b": "x", "c": "1", "d/": "", "d/n": ""}},
		{"journal: nothing fsynced, names revert", MetaJournal, tree{"a": "x"},
			[]op{create("n"), rename("a", "b")}, tree{"a": "x"}},
		{"rename without directory fsync reverts", MetaStrict, tree{"a": "x"},
			[]op{rename("a", "b")}, tree{"a": "x"}},
		{"rename with directory fsync survives", MetaStrict, tree{"a": "x"},
			[]op{rename("a", "b"), fsyncDir("")}, tree{"b": "x"}},
		{"atomic replace, directory not fsynced: old content", MetaStrict, tree{"cfg": "old"},
			[]op{create("cfg.tmp"), appendTo("cfg.tmp", "new"), fsync("cfg.tmp"), rename("cfg.tmp", "cfg")},
			tree{"cfg": "old"}},
		{"atomic replace, directory fsynced: new content", MetaStrict, tree{"cfg": "old"},
			[]op{create("cfg.tmp"), appendTo("cfg.tmp", "new"), fsync("cfg.tmp"), rename("cfg.tmp", "cfg"), fsyncDir("")},
			tree{"cfg": "new"}},
		{"atomic replace without file fsync: empty file", MetaStrict, tree{"cfg": "old"},
			[]op{create("cfg.tmp"), appendTo("cfg.tmp", "new"), rename("cfg.tmp", "cfg"), fsyncDir("")},
			tree{"cfg": ""}},
		{"rename across directories, destination fsynced", MetaStrict, tree{"d1/x": "x", "d2/": ""},
			[]op{rename("d1/x", "d2/x"), fsyncDir("d2")}, tree{"d1/": "", "d2/": "", "d2/x": "x"}},
		{"rename across directories, source fsynced", MetaStrict, tree{"d1/x": "x", "d2/": ""},
			[]op{rename("d1/x", "d2/y"), fsyncDir("d1")}, tree{"d1/": "", "d2/": "", "d2/y": "x"}},
		{"rename across directories, nothing fsynced", MetaStrict, tree{"d1/x": "x", "d2/": ""},
			[]op{rename("d1/x", "d2/y")}, tree{"d1/": "", "d1/x": "x", "d2/": ""}},
		{"rename then unlink, source fsynced: the rename holds", MetaStrict, tree{"d1/x": "x", "d2/": ""},
			[]op{rename("d1/x", "d2/y"), unlink("d2/y"), fsyncDir("d1")}, tree{"d1/": "", "d2/": "", "d2/y": "x"}},
		{"rename chain, committed", MetaStrict, tree{"a": "x"},
			[]op{rename("a", "b"), rename("b", "c"), fsyncDir("")}, tree{"c": "x"}},
		{"create, rename, unlink, nothing fsynced", MetaStrict, tree{"k": "k"},
			[]op{create("t"), appendTo("t", "t"), rename("t", "u"), unlink("u")}, tree{"k": "k"}},
		{"exchange across directories, one fsynced", MetaStrict, tree{"d1/x": "1", "d2/y": "2"},
			[]op{renameFlags("d1/x", "d2/y", unix.RENAME_EXCHANGE), fsyncDir("d1")}, tree{"d1/x": "2", "d2/y": "1"}},
		{"exchange, nothing fsynced", MetaStrict, tree{"x": "1", "y": "2"},
			[]op{renameFlags("x", "y", unix.RENAME_EXCHANGE)}, tree{"x": "1", "y": "2"}},
		{"noreplace refuses", MetaStrict, tree{"x": "1", "y": "2"},
			[]op{renameFlags("x", "y", unix.RENAME_NOREPLACE), fsyncDir("")}, tree{"x": "1", "y": "2"}},
		{"rename over a durable file reverts both", MetaStrict, tree{"a": "A", "b": "B"},
			[]op{writeAt("a", 0, "Z"), rename("a", "b")}, tree{"a": "A", "b": "B"}},
		{"rename over a durable file, committed", MetaStrict, tree{"a": "A", "b": "B"},
			[]op{rename("a", "b"), fsyncDir("")}, tree{"b": "A"}},
		{"unlink without directory fsync reverts, content too", MetaStrict, tree{"a": "durable"},
			[]op{appendTo("a", "+more"), writeAt("a", 0, "D"), unlink("a")}, tree{"a": "durable"}},
		{"unlink with directory fsync holds", MetaStrict, tree{"a": "durable", "b": "b"},
			[]op{unlink("a"), fsyncDir("")}, tree{"b": "b"}},
		{"unlink then recreate, not fsynced", MetaStrict, tree{"a": "old"},
			[]op{unlink("a"), create("a"), appendTo("a", "new"), fsync("a")}, tree{"a": "old"}},
		{"unlink then recreate, directory fsynced", MetaStrict, tree{"a": "old"},
			[]op{unlink("a"), create("a"), appendTo("a", "new"), fsync("a"), fsyncDir("")}, tree{"a": "new"}},
		{"mkdir without parent fsync vanishes", MetaStrict, tree{},
			[]op{mkdir("d"), create("d/f"), appendTo("d/f", "x"), fsync("d/f"), fsyncDir("d")}, tree{}},
		{"new directory's entries need its own fsync", MetaStrict, tree{},
			[]op{mkdir("d"), create("d/f"), appendTo("d/f", "x"), fsync("d/f"), fsyncDir("")}, tree{"d/": ""}},
		{"new directory, everything fsynced", MetaStrict, tree{},
			[]op{mkdir("d"), create("d/f"), appendTo("d/f", "x"), fsync("d/f"), fsyncDir("d"), fsyncDir("")},
			tree{"d/": "", "d/f": "x"}},
		{"rmdir reverted", MetaStrict, tree{"d/": ""},
			[]op{rmdir("d")}, tree{"d/": ""}},
		{"emptied and removed directory comes back with its files", MetaStrict, tree{"d/f": "f", "d/g": "g"},
			[]op{unlink("d/f"), unlink("d/g"), rmdir("d")}, tree{"d/f": "f", "d/g": "g"}},
		{"emptied directory fsynced, then removed: comes back empty", MetaStrict, tree{"d/f": "f"},
			[]op{unlink("d/f"), fsyncDir("d"), rmdir("d")}, tree{"d/": ""}},
		{"renamed directory comes back with its content", MetaStrict, tree{"d/f": "f", "d/sub/g": "g"},
			[]op{rename("d", "e"), appendTo("e/f", "+"), create("e/new")}, tree{"d/f": "f", "d/sub/": "", "d/sub/g": "g"}},
		{"renamed directory, committed, its new file not", MetaStrict, tree{"d/f": "f"},
			[]op{rename("d", "e"), create("e/new"), fsyncDir("")}, tree{"e/": "", "e/f": "f"}},
		{"directory moved into a new directory, nothing fsynced: both revert", MetaStrict, tree{"d/f": "f"},
			[]op{mkdir("n"), rename("d", "n/d")}, tree{"d/f": "f"}},
		{"strict: moved into a new directory whose own name is not durable: lost", MetaStrict, tree{"d/f": "f", "k": ""},
			[]op{mkdir("n"), rename("d", "n/d"), fsyncDir("n")}, tree{"k": ""}},
		{"journal: moved into a new directory, fsynced: kept", MetaJournal, tree{"d/f": "f"},
			[]op{mkdir("n"), rename("d", "n/d"), fsyncDir("n")}, tree{"n/d/f": "f"}},
		{"hard link without fsync vanishes", MetaStrict, tree{"a": "a"},
			[]op{link("a", "b")}, tree{"a": "a"}},
		{"hard link committed, original unlinked uncommitted", MetaStrict, tree{"a": "a", "d/": ""},
			[]op{link("a", "d/b"), fsyncDir("d"), unlink("a")}, tree{"a": "a", "d/": "", "d/b": "a"}},
		{"symlink without fsync vanishes", MetaStrict, tree{"a": "a"},
			[]op{symlink("a", "s")}, tree{"a": "a"}},
		{"symlink committed", MetaStrict, tree{"a": "a"},
			[]op{symlink("a", "s"), fsyncDir("")}, tree{"a": "a", "s@": "a"}},
		{"sync makes everything durable", MetaStrict, tree{"a": "a"},
			[]op{create("n"), appendTo("n", "n"), rename("a", "b"), mkdir("d"), syncAll(), appendTo("n", "lost")},
			tree{"b": "a", "n": "n", "d/": ""}},
		{"two drops in a row", MetaStrict, tree{"a": "0"},
			[]op{appendTo("a", "1"), fsync("a"), appendTo("a", "2"), drop(), appendTo("a", "3"), create("x"), fsyncDir(""), drop()},
			tree{"a": "01", "x": ""}},
		{"durable files untouched", MetaStrict, tree{"d/e/f": "deep", "g": "g"},
			[]op{create("h"), appendTo("g", "!")}, tree{"d/": "", "d/e/": "", "d/e/f": "deep", "g": "g"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tc.start)
			m, err := NewModel(root, tc.meta)
			if err != nil {
				t.Fatal(err)
			}
			c := &mctx{t: t, m: m, handles: map[string]*Handle{}}
			for _, o := range tc.ops {
				o(c)
			}
			drop()(c)
			want := tree{}
			for k, v := range tc.want {
				want[k] = v
				// parents of listed entries are implied
				for d := filepath.Dir(strings.TrimSuffix(strings.TrimSuffix(k, "/"), "@")); d != "."; d = filepath.Dir(d) {
					want[d+"/"] = ""
				}
			}
			if d := diffTrees(want, readTree(t, root)); d != "" {
				t.Fatalf("after drop:\n%s", d)
			}
			if names, _ := readNames(m.trashDir()); len(names) != 0 {
				t.Fatalf("trash not empty after drop: %v", names)
			}
		})
	}
}

func TestDropSummary(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, tree{"keep": "0123456789", "gone": "x"})
	m, err := NewModel(root, MetaStrict)
	if err != nil {
		t.Fatal(err)
	}
	c := &mctx{t: t, m: m, handles: map[string]*Handle{}}
	for _, o := range []op{writeAt("keep", 0, "ab"), appendTo("keep", "tail"), create("new"), appendTo("new", "12345"), unlink("gone")} {
		o(c)
	}
	st := m.Status()
	if st.DirtyFiles != 2 || st.UnsyncedBytes != 2+4+5 || st.ChangedDirs != 1 || st.Trash != 1 {
		t.Fatalf("status: %+v", st)
	}
	for _, h := range c.handles {
		h.Close()
	}
	sum, err := m.Drop()
	if err != nil {
		t.Fatal(err)
	}
	if sum.DroppedBytes != 2+4+5 {
		t.Fatalf("droppedBytes %d: %+v", sum.DroppedBytes, sum)
	}
	if len(sum.Files) != 1 || sum.Files[0] != (FileDrop{Path: "keep", SizeBefore: 14, SizeAfter: 10, DroppedBytes: 6, RevertedBytes: 2, TruncatedBytes: 4}) {
		t.Fatalf("files: %+v", sum.Files)
	}
	if len(sum.Removed) != 1 || sum.Removed[0] != (NameDrop{Path: "new", Type: "file", Size: 5}) {
		t.Fatalf("removed: %+v", sum.Removed)
	}
	if len(sum.Restored) != 1 || sum.Restored[0].Path != "gone" {
		t.Fatalf("restored: %+v", sum.Restored)
	}
	if st := m.Status(); st.DirtyFiles != 0 || st.ChangedDirs != 0 {
		t.Fatalf("status after drop: %+v", st)
	}
}

// Random writes, truncates and fsyncs on one file against a plain byte-slice reference.
func TestModelRandomAgainstReference(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			root := t.TempDir()
			initial := make([]byte, rng.Intn(3000))
			rng.Read(initial)
			if err := os.WriteFile(filepath.Join(root, "f"), initial, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := NewModel(root, MetaStrict)
			if err != nil {
				t.Fatal(err)
			}
			live := append([]byte(nil), initial...)
			durable := append([]byte(nil), initial...)
			for round := 0; round < 3; round++ {
				h, err := m.Open("f", os.O_RDWR)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 200; i++ {
					switch k := rng.Intn(20); {
					case k < 14:
						off := rng.Intn(len(live) + 200)
						data := make([]byte, 1+rng.Intn(300))
						rng.Read(data)
						if _, err := h.WriteAt(data, int64(off)); err != nil {
							t.Fatal(err)
						}
						if end := off + len(data); end > len(live) {
							live = append(live, make([]byte, end-len(live))...)
						}
						copy(live[off:], data)
					case k < 17:
						size := rng.Intn(len(live) + 100)
						if err := h.Truncate(int64(size)); err != nil {
							t.Fatal(err)
						}
						if size <= len(live) {
							live = live[:size]
						} else {
							live = append(live, make([]byte, size-len(live))...)
						}
					default:
						if err := h.Sync(); err != nil {
							t.Fatal(err)
						}
						durable = append(durable[:0], live...)
					}
				}
				got, _ := os.ReadFile(filepath.Join(root, "f"))
				if !bytes.Equal(got, live) {
					t.Fatalf("round %d: live content differs before the drop", round)
				}
				h.Close()
				if _, err := m.Drop(); err != nil {
					t.Fatal(err)
				}
				got, _ = os.ReadFile(filepath.Join(root, "f"))
				if !bytes.Equal(got, durable) {
					t.Fatalf("round %d: after drop %d bytes, want the %d durable ones", round, len(got), len(durable))
				}
				live = append(live[:0], durable...)
			}
		})
	}
}

func TestCaptureMergesExtents(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "f"), bytes.Repeat([]byte("d"), 2*maxExtent), 0o644); err != nil {
		t.Fatal(err)
	}
	m, _ := NewModel(root, MetaStrict)
	h, err := m.Open("f", os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	chunk := bytes.Repeat([]byte("w"), 4096)
	for off := 0; off < 2*maxExtent; off += 4096 {
		if _, err := h.WriteAt(chunk, int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	s := m.files[h.ino]
	if len(s.undo) != 2 || s.undoBytes != 2*maxExtent {
		t.Fatalf("sequential overwrites: %d extents, %d bytes", len(s.undo), s.undoBytes)
	}
}

func TestParseMetadataMode(t *testing.T) {
	for in, want := range map[string]MetadataMode{"": MetaStrict, "strict": MetaStrict, "journal": MetaJournal} {
		if got, err := ParseMetadataMode(in); err != nil || got != want {
			t.Fatalf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseMetadataMode("ext4"); err == nil {
		t.Fatal("accepted an unknown mode")
	}
}
