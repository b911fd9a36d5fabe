package source

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/google/go-cmp/cmp"
)

// find returns where the object id (hex) lies, if in a pack (the scan
// itself finds binary ids: findID).
func (s *objectStore) find(id string) (objectPos, bool) {
	h, err := hex.DecodeString(id)
	if err != nil {
		return objectPos{}, false
	}
	return s.findID(h)
}

// readBlob reads the object id from the packs through r (as the full
// scan does by the positions packOrder found).
func readBlob(r *packReader, id string, limit int64) (data []byte, size int64, status string, ok bool) {
	pos, found := r.s.find(id)
	if !found {
		return nil, 0, "", false
	}
	return r.readBlobAt(pos, limit)
}

// catFile returns an object's content exactly (r.git trims it).
func catFile(t *testing.T, dir, typ, id string) string {
	t.Helper()
	cmd := exec.Command("git", "cat-file", typ, id)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git cat-file %s %s: %v", typ, id, err)
	}
	return string(out)
}

// packedRepo is a repository whose history has many versions of a few
// files (so the packs hold deltas), a binary file, a large file, and a
// blob left loose after packing it with the git command repack (default:
// repack -adq).
func packedRepo(t *testing.T, repack ...string) (*testRepo, string) {
	r := newTestRepo(t)
	rng := rand.New(rand.NewPCG(11, 12))
	lines := make([]string, 300)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d of a file that changes a little in every commit", i)
	}
	for c := range 30 {
		for k := range 5 {
			lines[rng.IntN(len(lines))] = fmt.Sprintf("changed in commit %d (%d)", c, k)
		}
		r.write("a.txt", strings.Join(lines, "\n")+"\n")
		r.write(fmt.Sprintf("dir/b%d.txt", c%4), strings.Repeat(fmt.Sprintf("b %d\n", c), 50+c))
		r.commit(fmt.Sprintf("c%d", c))
	}
	r.write("bin.dat", "\x00\x01binary\x00")
	r.write("big.txt", strings.Repeat("a large blob line\n", 4000))
	r.commit("binary and big")
	if len(repack) == 0 {
		repack = []string{"repack", "-adq"}
	}
	r.git(repack...)
	r.write("loose.txt", "written after the repack\n")
	r.commit("loose")
	return r, r.blob("written after the repack\n")
}

// The pack reader gives every packed object as git cat-file does (deltas
// at any depth, OFS_DELTA and REF_DELTA), says "large" and "binary" as
// readObject does, and leaves loose objects to git.
func TestPackReaderMatchesGit(t *testing.T) {
	for _, c := range []struct {
		repack []string
		sparse bool
	}{
		{[]string{"repack", "-adq", "--depth=50"}, false},                            // OFS_DELTA
		{[]string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adq"}, false}, // REF_DELTA
		{[]string{"repack", "-adq", "--depth=50"}, true},
		{[]string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adq"}, true},
	} {
		repack := c.repack
		r, loose := packedRepo(t, repack...)
		g := &Git{Dir: r.dir}
		store := g.openObjectStore(t.Context())
		if store == nil {
			t.Fatal("no object store")
		}
		defer store.close()
		store.sparse = c.sparse
		rd := store.reader()
		const limit = 32 << 10
		ids := strings.Fields(r.git("rev-list", "--objects", "--all", "--no-object-names"))
		packed := map[string]bool{}
		blobs, deltas, leftToGit := 0, 0, 0
		for _, l := range strings.Split(r.git("verify-pack", "-v", strings.TrimSuffix(store.packs[0].path, ".pack")+".idx"), "\n") {
			if f := strings.Fields(l); len(f) >= 5 && len(f[0]) == 40 {
				packed[f[0]] = true
				if len(f) >= 7 && f[1] == "blob" {
					deltas++
				}
			}
		}
		if packed[loose] {
			t.Fatal("the loose blob is packed")
		}
		for _, id := range ids {
			typ := strings.TrimSpace(r.git("cat-file", "-t", id))
			data, size, status, ok := readBlob(rd, id, limit)
			if !packed[id] {
				if ok {
					t.Errorf("loose %s %s read from the packs", typ, id)
				}
				continue
			}
			want := catFile(t, r.dir, typ, id)
			if !ok && c.sparse && (typ != "blob" || len(want) > limit) {
				// Skipped on its header, which a sparse store has not
				// checked when it would skip: left to git.
				leftToGit++
				continue
			}
			if !ok {
				t.Fatalf("%s %s not read from the packs", typ, id)
			}
			switch {
			case typ != "blob":
				if status != "binary" || data != nil {
					t.Errorf("%s %s: status %q, want binary", typ, id, status)
				}
			case len(want) > limit:
				if status != "large" || size != int64(len(want)) {
					t.Errorf("blob %s: status %q size %d, want large %d", id, status, size, len(want))
				}
			case strings.Contains(want, "\x00"):
				if status != "binary" {
					t.Errorf("blob %s: status %q, want binary", id, status)
				}
			default:
				blobs++
				if status != "" || string(data) != want || size != int64(len(want)) {
					t.Fatalf("blob %s: status %q, %d bytes, differs from git's %d bytes", id, status, len(data), len(want))
				}
			}
		}
		if blobs < 40 || deltas < 20 {
			t.Fatalf("%v: %d blobs compared, %d deltas in the pack: the test repository is too small", repack, blobs, deltas)
		}
		if c.sparse && store.packs[0].entries != nil {
			t.Errorf("%v: a sparse store sorted the pack's entries", repack)
		}
		if c.sparse != (leftToGit > 0) {
			t.Errorf("%v, sparse %v: %d objects skipped on their headers left to git", repack, c.sparse, leftToGit)
		}
	}
}

// A clone that borrows its objects (alternates) reads them from the
// other repository's packs.
func TestPackReaderAlternates(t *testing.T) {
	r, _ := packedRepo(t)
	clone := filepath.Join(t.TempDir(), "clone")
	gitIn(t, "", 0, "clone", "-q", "--shared", r.dir, clone)
	store := (&Git{Dir: clone}).openObjectStore(t.Context())
	if store == nil {
		t.Fatal("no object store through the alternates")
	}
	defer store.close()
	id := r.blob(strings.Repeat("b 29\n", 79))
	data, _, status, ok := readBlob(store.reader(), id, 1<<20)
	if !ok || status != "" || string(data) != strings.Repeat("b 29\n", 79) {
		t.Errorf("blob through alternates: ok %v status %q", ok, status)
	}
}

// A damaged pack never panics and never yields wrong content: each read
// either gives git's content or says to ask git. Bytes of the pack are
// overwritten at random, many times. A sparse store (a range's) checks
// entries through their zlib streams instead of their CRCs.
func TestPackReaderCorruptPack(t *testing.T) {
	t.Run("checked", func(t *testing.T) { testPackReaderCorruptPack(t, false) })
	t.Run("sparse", func(t *testing.T) { testPackReaderCorruptPack(t, true) })
}

func testPackReaderCorruptPack(t *testing.T, sparse bool) {
	r, _ := packedRepo(t)
	store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
	if store == nil {
		t.Fatal("no object store")
	}
	defer store.close()
	store.sparse = sparse
	ids := strings.Fields(r.git("rev-list", "--objects", "--all", "--no-object-names"))
	want := map[string]string{}
	for _, id := range ids {
		if strings.TrimSpace(r.git("cat-file", "-t", id)) == "blob" {
			want[id] = catFile(t, r.dir, "blob", id)
		}
	}
	clean := store.packs[0].data
	rng := rand.New(rand.NewPCG(13, 14))
	failed := 0
	for round := range 200 {
		damaged := bytes.Clone(clean)
		for range 1 + rng.IntN(20) {
			damaged[12+rng.IntN(len(damaged)-12)] = byte(rng.Uint32())
		}
		store.packs[0].data = damaged
		rd := store.reader()
		for id, content := range want {
			data, _, status, ok := readBlob(rd, id, 1<<20)
			if !ok {
				failed++
				continue
			}
			if status == "" && string(data) != content {
				t.Fatalf("round %d: blob %s read from a damaged pack differs from git's", round, id)
			}
		}
	}
	store.packs[0].data = clean
	if failed == 0 {
		t.Error("no read failed on damaged packs: the damage missed everything")
	}
}

// A full-history scan of a repository whose pack is damaged reports the
// blob it cannot read, by id, and scans the rest.
func TestGitCorruptPackReported(t *testing.T) {
	r, _ := packedRepo(t)
	saved := packOrderMin
	defer func() { packOrderMin = saved }()
	packOrderMin = 1
	clean := scanGit(t, &Git{Dir: r.dir})
	if len(clean.errs) != 0 || clean.fatal != nil {
		t.Fatalf("clean scan: %v %v", clean.errs, clean.fatal)
	}
	// Damage the zlib stream of one blob stored whole: the big one.
	big := r.blob(strings.Repeat("a large blob line\n", 4000))
	store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
	pos, ok := store.find(big)
	path := store.packs[pos.pack].path
	store.close()
	if !ok {
		t.Fatal("big blob not packed")
	}
	pack, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := pos.off + 8; i < pos.off+40; i++ {
		pack[i] ^= 0x55
	}
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, pack, 0o644); err != nil {
		t.Fatal(err)
	}
	got := scanGit(t, &Git{Dir: r.dir, MaxFileSize: 1 << 20})
	if got.fatal != nil || len(got.errs) != 1 || !strings.Contains(got.errs[0].Error(), big) {
		t.Fatalf("errors %v (fatal %v), want one naming %s", got.errs, got.fatal, big)
	}
	if len(got.blobs) < len(clean.blobs)-2 {
		t.Errorf("%d blobs scanned of %d", len(got.blobs), len(clean.blobs))
	}
	// A range that added it reads it from the packs too (sparse), and
	// reports it the same way.
	g := &Git{Dir: r.dir, MaxFileSize: 1 << 20, Range: "HEAD~2..HEAD"}
	got = scanGit(t, g)
	if got.fatal != nil || len(got.errs) != 1 || !strings.Contains(got.errs[0].Error(), big) {
		t.Fatalf("range: errors %v (fatal %v), want one naming %s", got.errs, got.fatal, big)
	}
	if g.GitStats().Packed == 0 {
		t.Error("range: nothing was read from the packs")
	}
	if len(got.blobs) != 1 { // loose.txt (bin.dat is binary)
		t.Errorf("range: %d blobs scanned, want 1", len(got.blobs))
	}
}

// A blob over the size limit is skipped even when the reader first
// rebuilt it as a delta base (which has no limit) and cached it: here the
// version before it is stored as a delta against it and read first, as a
// range reads a replaced version before the blob that replaced it.
func TestPackReaderLimitAfterCache(t *testing.T) {
	r := newTestRepo(t)
	small := strings.Repeat("some ordinary configuration line\n", 60)
	big := small + strings.Repeat("one more line, now over the limit\n", 10)
	r.write("f.txt", small)
	r.commit("small")
	r.write("f.txt", big)
	r.commit("big")
	r.git("repack", "-adq")
	for _, sparse := range []bool{false, true} {
		store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
		if store == nil {
			t.Fatal("no object store")
		}
		store.sparse = sparse
		rd := store.reader()
		oldPos, _ := store.find(r.blob(small))
		bigPos, _ := store.find(r.blob(big))
		if _, ok := rd.deltaAgainst(oldPos, bigPos); !ok {
			store.close()
			t.Skip("git did not store the old version as a delta against the new one")
		}
		if data, _, status, ok := rd.readBlobAt(oldPos, int64(len(small))+1); !ok || status != "" || string(data) != small {
			t.Fatalf("sparse %v: old version: ok %v status %q", sparse, ok, status)
		}
		if _, ok := rd.cache[bigPos]; !ok {
			t.Fatalf("sparse %v: the new version, the old one's base, is not cached", sparse)
		}
		_, size, status, ok := rd.readBlobAt(bigPos, int64(len(small))+1)
		if !ok || status != "large" || size != int64(len(big)) {
			t.Errorf("sparse %v: blob over the limit after it was cached: ok %v status %q size %d", sparse, ok, status, size)
		}
		store.close()
	}
}

// A sparse store never skips a blob on a header it has not checked: a
// delta whose base's type bits are damaged (blob to tree) is left to git,
// not skipped as not a blob; a store that checked the entry's CRC first
// finds the damage.
func TestSparseReaderBaseTypeUnchecked(t *testing.T) {
	for _, repack := range [][]string{
		{"repack", "-adq", "--depth=50"},
		{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adq"},
	} {
		r, _ := packedRepo(t, repack...)
		store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
		if store == nil {
			t.Fatal("no object store")
		}
		idx := strings.TrimSuffix(store.packs[0].path, ".pack") + ".idx"
		var child string
		for _, l := range strings.Split(r.git("verify-pack", "-v", idx), "\n") {
			if f := strings.Fields(l); len(f) >= 7 && f[1] == "blob" && f[5] == "1" {
				child = f[0] // a delta against a blob stored whole
				break
			}
		}
		cpos, ok := store.find(child)
		if child == "" || !ok {
			t.Fatal("no blob stored as a delta")
		}
		typ, _, at, _ := entryHeader(store.packs[0].data, cpos.off)
		base, _, err := store.deltaBase(cpos, typ, at)
		if err != nil {
			t.Fatal(err)
		}
		clean := store.packs[0].data
		damaged := bytes.Clone(clean)
		if bt, _, _, _ := entryHeader(clean, base.off); bt != objBlob {
			t.Fatalf("base of type %d", bt)
		}
		damaged[base.off] ^= 0x20 // type 3 (blob) to 1 (commit)
		store.packs[0].data = damaged
		for _, sparse := range []bool{true, false} {
			store.sparse = sparse
			_, _, status, ok := store.reader().readBlobAt(cpos, 1<<20)
			if ok {
				t.Errorf("%v, sparse %v: a delta on a damaged base read from the packs, status %q", repack, sparse, status)
			}
		}
		store.packs[0].data = clean
		store.sparse = false
		store.close()
	}
}

// A range (a sparse store) reads an entry's header before anything
// checks it: a damaged size that would make a blob "too large" sends the
// blob to git, which reports it, instead of skipping it.
func TestGitRangeDamagedHeaderReported(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "first\n")
	r.commit("one")
	content := strings.Repeat("a blob whose header is damaged\n", 40)
	r.write("b.txt", content)
	r.commit("two")
	r.git("repack", "-adq")
	id := r.blob(content)
	store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
	pos, ok := store.find(id)
	path := store.packs[pos.pack].path
	pack := bytes.Clone(store.packs[pos.pack].data)
	store.close()
	if !ok {
		t.Fatal("blob not packed")
	}
	typ, size, _, err := entryHeader(pack, pos.off)
	if err != nil || typ != objBlob || size != int64(len(content)) || pack[pos.off]&0x80 == 0 || pack[pos.off+1]&0x7f == 0x7f {
		t.Fatalf("entry: type %d size %d err %v: not a whole blob with a two-byte size", typ, size, err)
	}
	pack[pos.off+1]++ // 16 bytes more
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, pack, 0o644); err != nil {
		t.Fatal(err)
	}
	g := &Git{Dir: r.dir, Range: "HEAD~1..HEAD", MaxFileSize: int64(len(content)) + 8}
	got := scanGit(t, g)
	if got.fatal != nil || len(got.errs) != 1 || !strings.Contains(got.errs[0].Error(), id) {
		t.Fatalf("errors %v (fatal %v), want one naming %s", got.errs, got.fatal, id)
	}
	if st := g.Stats(); st.TooLarge != 0 {
		t.Errorf("%d blobs skipped as too large", st.TooLarge)
	}
}

// A linked work tree reads the packs of the repository it belongs to; a
// SHA-256 repository is left to git cat-file.
func TestPackStoreWorktreeAndObjectFormat(t *testing.T) {
	r, _ := packedRepo(t)
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", wt)
	store := (&Git{Dir: wt}).openObjectStore(t.Context())
	if store == nil {
		t.Fatal("no object store from a linked work tree")
	}
	id := r.blob(strings.Repeat("b 29\n", 79))
	_, _, status, ok := readBlob(store.reader(), id, 1<<20)
	store.close()
	if !ok || status != "" {
		t.Errorf("blob from a linked work tree: ok %v status %q", ok, status)
	}

	s := newTestRepo(t, "--object-format=sha256")
	sha256 := s.dir
	s.write("f.txt", "content\n")
	first := s.commit("one")
	s.write("f.txt", "content\nmore\n")
	second := s.commit("two")
	s.git("repack", "-adq")
	if store := (&Git{Dir: sha256}).openObjectStore(t.Context()); store != nil {
		store.close()
		t.Error("a SHA-256 repository's packs are read in process")
	}
	saved := packOrderMin
	defer func() { packOrderMin = saved }()
	packOrderMin = 1
	got := scanGit(t, &Git{Dir: sha256})
	if got.fatal != nil || len(got.errs) != 0 || len(got.blobs) != 2 {
		t.Fatalf("SHA-256 repository: %d blobs, errors %v %v", len(got.blobs), got.errs, got.fatal)
	}
	// Ids are 64 hex digits: blobs, commits, and the cache key of a
	// version compared with the one it replaced.
	v1, v2 := s.blob("content\n"), s.blob("content\nmore\n")
	want := map[string]*gotBlob{
		v1:                 {Places: []string{"f.txt@" + first}, Data: "content\n", Scanned: "content\n", Kept: []bool{true}},
		v2 + "^" + v1[:12]: {Places: []string{"f.txt@" + second}, Data: "content\nmore\n", Scanned: "content\nmore\n", Kept: []bool{false, true}},
	}
	if len(v1) != 64 || len(first) != 64 {
		t.Fatalf("not SHA-256 ids: %s %s", v1, first)
	}
	if diff := cmp.Diff(want, got.blobs); diff != "" {
		t.Errorf("SHA-256 repository (-want +got):\n%s", diff)
	}
}

// The copy instructions of a delta say which lines of its base it holds.
func TestMarkCopied(t *testing.T) {
	base := []byte("a\nb\nc\nxd\nkey\n")
	// The older version: "a\n" (copied from the start), "X\n" (inserted),
	// "c\n" (copied after an inserted line break), "qd\n" ("d\n" copied
	// after an inserted "q": not a whole line of the base), "Zkey\n" (the
	// whole line "key\n" copied, but after an inserted "Z").
	delta := []byte{byte(len(base)), 14,
		0x80 | 0x10, 2, // copy base[0:2]
		2, 'X', '\n', // insert
		0x80 | 0x01 | 0x10, 4, 2, // copy base[4:6]
		1, 'q', // insert
		0x80 | 0x01 | 0x10, 7, 2, // copy base[7:9]
		1, 'Z', // insert
		0x80 | 0x01 | 0x10, 9, 4, // copy base[9:13]
	}
	d, ok := parseDelta(delta)
	if !ok {
		t.Fatal("parseDelta refused a valid delta")
	}
	lh := hashLines(base)
	fresh := []bool{true, true, true, true, true}
	if !markCopied(fresh, lh.starts, base, d) {
		t.Fatal("markCopied refused its base")
	}
	if want := []bool{false, true, false, true, true}; !slices.Equal(fresh, want) {
		t.Errorf("fresh = %v, want %v", fresh, want)
	}
	if markCopied(fresh, lh.starts, base[:5], d) {
		t.Error("markCopied accepted data of another size than the delta's base")
	}
	for _, bad := range [][]byte{
		{9, 2, 0x80 | 0x01 | 0x10, 8, 2},     // a copy past the base
		{9, 3, 5, 'a', 'b'},                  // an insert past the delta
		{9, 3, 2, 'a', 'b'},                  // short of the result's size
		{9, 2, 0, 'a', 'b'},                  // the reserved instruction
		{9, 2, 0x80 | 0x01, 0x80 | 0x10, 2},  // cut short
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, // a header cut short
	} {
		if _, ok := parseDelta(bad); ok {
			t.Errorf("parseDelta accepted %v", bad)
		}
	}
}

// encodeDelta writes a git delta from base (of baseSize bytes) to the
// result of ops: copies of base[off:off+n] and inserts of their bytes.
func encodeDelta(baseSize int, ops []deltaOp, inserts [][]byte) []byte {
	varint := func(out []byte, v int) []byte {
		for v >= 0x80 {
			out = append(out, byte(v)|0x80)
			v >>= 7
		}
		return append(out, byte(v))
	}
	target := 0
	for _, op := range ops {
		target += op.n
	}
	out := varint(varint(nil, baseSize), target)
	for k, op := range ops {
		if !op.copy {
			out = append(append(out, byte(op.n)), inserts[k]...)
			continue
		}
		cmd, args := byte(0x80), []byte{}
		for b := range 4 {
			if v := byte(op.off >> (8 * b)); v != 0 {
				cmd |= 1 << b
				args = append(args, v)
			}
		}
		for b := range 3 {
			if v := byte(op.n >> (8 * b)); v != 0 {
				cmd |= 0x10 << b
				args = append(args, v)
			}
		}
		out = append(append(out, cmd), args...)
	}
	return out
}

// applyDelta against go-git's packfile.PatchDelta on random deltas, and
// broken or oversized deltas refused before their result is allocated.
// dirtyAlloc returns memory that is not zeroed, as recycled memory is not.
func dirtyAlloc(n int) []byte { return bytes.Repeat([]byte{0xAA}, n) }

// applyDelta rebuilds the object that delta describes from base, as a
// pack reader does: parsed, then applied into memory that is not zeroed.
func applyDelta(base, delta []byte) ([]byte, error) {
	d, ok := parseDelta(delta)
	if !ok {
		return nil, errBadDelta
	}
	return applyParsed(base, d, dirtyAlloc)
}

func TestApplyDelta(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 500 {
		base := make([]byte, 1+rng.IntN(300_000))
		for i := range base {
			base[i] = byte('a' + rng.IntN(26))
		}
		var ops []deltaOp
		var inserts [][]byte
		for range 1 + rng.IntN(40) {
			if rng.IntN(2) == 0 {
				n := 1 + rng.IntN(127)
				ins := make([]byte, n)
				for i := range ins {
					ins[i] = byte(rng.IntN(256))
				}
				ops, inserts = append(ops, deltaOp{n: n}), append(inserts, ins)
				continue
			}
			off := rng.IntN(len(base))
			n := 1 + rng.IntN(min(len(base)-off, 0xffff))
			ops, inserts = append(ops, deltaOp{copy: true, off: off, n: n}), append(inserts, nil)
		}
		delta := encodeDelta(len(base), ops, inserts)
		want, err := packfile.PatchDelta(base, delta)
		if err != nil {
			t.Fatalf("round %d: go-git refused the delta: %v", round, err)
		}
		got, err := applyDelta(base, delta)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("round %d: applyDelta = %d bytes, %v; go-git gives %d bytes", round, len(got), err, len(want))
		}
		// Parsed into memory holding other instructions, as a reader's.
		ref, _ := parseDelta(delta)
		if d, ok := parseDeltaInto(delta, make([]deltaOp, 5)); !ok || !slices.Equal(d.ops, ref.ops) {
			t.Fatalf("round %d: parseDeltaInto gives other instructions than parseDelta", round)
		}
	}
	base := []byte("abcdefghi")
	for _, bad := range [][]byte{
		{9, 2, 0x80 | 0x01 | 0x10, 8, 2},     // a copy past the base
		{9, 3, 5, 'a', 'b'},                  // an insert past the delta
		{9, 3, 2, 'a', 'b'},                  // short of the result's size
		{9, 1, 2, 'a', 'b'},                  // past the result's size
		{9, 2, 0, 'a', 'b'},                  // the reserved instruction
		{9, 2, 0x80 | 0x01, 0x80 | 0x10, 2},  // cut short
		{8, 2, 2, 'a', 'b'},                  // another base size
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, // a header cut short
	} {
		if out, err := applyDelta(base, bad); err == nil {
			t.Errorf("applyDelta(%v) = %q, want an error", bad, out)
		}
	}
	// A delta that claims a 512 MiB result from a two-byte insert: refused
	// without allocating it.
	huge := []byte{9, 0x80, 0x80, 0x80, 0x80, 0x02, 2, 'a', 'b'} // sizes 9 and 1<<29
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := applyDelta(base, huge); err == nil {
		t.Error("applyDelta accepted a delta whose instructions fall short of its size")
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("a refused delta allocated %d bytes", grown)
	}
}

// evolveFile commits versions of f.txt in r: n distinct lines at first,
// then a few lines changed, inserted or deleted in each of commits
// commits. It returns the versions.
func evolveFile(r *testRepo, seed uint64, n, commits int) []string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d: %s", i, strings.Repeat("x", rng.IntN(60)))
	}
	var versions []string
	for c := range commits {
		for k := range 1 + rng.IntN(6) {
			i := rng.IntN(len(lines))
			switch rng.IntN(3) {
			case 0:
				lines[i] = fmt.Sprintf("changed in %d (%d)", c, k)
			case 1:
				lines = slices.Insert(lines, i, fmt.Sprintf("inserted in %d (%d)", c, k))
			default:
				lines = slices.Delete(lines, i, i+1)
			}
		}
		text := strings.Join(lines, "\n") + "\n"
		versions = append(versions, text)
		r.write("f.txt", text)
		r.commit(fmt.Sprintf("c%d", c))
	}
	return versions
}

// On versions packed by git, the lines that a version's delta copies from
// its successor are lines of that version (never new content hidden), and
// most unchanged lines are found so.
func TestDeltaAgainstSound(t *testing.T) {
	r := newTestRepo(t)
	old, byHash := 0, 0
	forEachDelta(t, r, evolveFile(r, 15, 400, 25), func(k int, parent, child string, d *priorDelta) {
		data := []byte(child)
		lh := hashLines(data)
		fresh := slices.Repeat([]bool{true}, len(lh.starts))
		if !markCopied(fresh, lh.starts, data, d) {
			t.Fatalf("version %d: the delta does not fit its base", k)
		}
		inParent := map[string]bool{}
		for _, l := range strings.Split(parent, "\n") {
			inParent[l] = true
		}
		childLines := strings.Split(strings.TrimSuffix(child, "\n"), "\n")
		for i, f := range fresh {
			if !f {
				old++
				if !inParent[childLines[i]] {
					t.Fatalf("version %d: line %d %q marked old, but the older version lacks it", k, i, childLines[i])
				}
			}
		}
		byHashFresh := slices.Repeat([]bool{true}, len(lh.starts))
		markOld(byHashFresh, lh.hashes, hashLines([]byte(parent)).hashes)
		for _, f := range byHashFresh {
			if !f {
				byHash++
			}
		}
	})
	if old*10 < byHash*9 {
		t.Errorf("the deltas mark %d lines old, comparing lines %d: too few found", old, byHash)
	}
}

// forEachDelta packs r, whose file went through versions, and calls f for
// each version that the packs store as a delta against its successor; it
// fails the test when fewer than three are.
func forEachDelta(t *testing.T, r *testRepo, versions []string, f func(k int, parent, child string, d *priorDelta)) {
	t.Helper()
	r.git("repack", "-adq", "--depth=50", "--window=50")
	store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
	if store == nil {
		t.Fatal("no object store")
	}
	defer store.close()
	rd := store.reader()
	pairs := 0
	for k := 1; k < len(versions); k++ {
		parent, child := versions[k-1], versions[k]
		ppos, ok1 := store.find(r.blob(parent))
		cpos, ok2 := store.find(r.blob(child))
		if !ok1 || !ok2 {
			t.Fatalf("version %d or %d not in the packs", k-1, k)
		}
		if d, ok := rd.deltaAgainst(ppos, cpos); ok {
			pairs++
			f(k, parent, child, d)
		}
	}
	if pairs < 3 {
		t.Fatalf("only %d versions stored as deltas against their successor", pairs)
	}
}

// An older version that its delta puts together from pieces of two lines
// of its successor (here: the start of the new line above, the rest of the
// old line) still has that line: the old password is not taken for new.
func TestGitRangeDeltaFromPieces(t *testing.T) {
	r := newTestRepo(t)
	r.write("f", "note alpha 952\ncommon line 5\npassword = \"Vq7#k3JxP9qLm2Wz\"\ncommon line 3\n")
	base := r.commit("C1")
	after := "note alpha 952\ncommon line 5\npassword = \"${DB_PASSWORD}\"\npassword = \"Vq7#k3JxP9qLm2Wz\"\ncommon line 3\n"
	r.write("f", after)
	r.commit("C2")
	r.git("gc", "-q")
	for _, g := range []*Git{{Dir: r.dir, Range: base + "..HEAD"}, {Dir: r.dir}} {
		got := scanGit(t, g)
		if g.Range != "" && g.gc.throughDelta.Load() != 1 {
			t.Fatalf("range %q: %d versions compared through their delta, want 1", g.Range, g.gc.throughDelta.Load())
		}
		if kept := got.byContent(t, after).Kept; !slices.Equal(kept, []bool{false, false, true, false, false}) {
			t.Errorf("range %q: kept %v, want only line 3", g.Range, kept)
		}
	}
}

// markAssembled finds the lines of the older version that its delta puts
// together from pieces or inserts, each paired once; markCopied those it
// copies whole. Together they leave fresh exactly what comparing the
// lines leaves, on random edits of random files packed by git.
func TestMarkAssembledMatchesLines(t *testing.T) {
	t.Run("distinct lines", func(t *testing.T) {
		r := newTestRepo(t)
		checkMarkAssembled(t, r, evolveFile(r, 21, 300, 30))
	})
	t.Run("repeated lines", func(t *testing.T) {
		// Lines from a small vocabulary: the deltas copy one line of the
		// newer version to several places of the older one.
		r := newTestRepo(t)
		rng := rand.New(rand.NewPCG(5, 6))
		vocab := []string{"password = \"Vq7#Zq8rT2mXw4Lp\"", "[section]", "", "name = x", "enabled = true"}
		var lines []string
		for range 120 {
			lines = append(lines, vocab[rng.IntN(len(vocab))])
		}
		var versions []string
		for c := range 30 {
			for range 1 + rng.IntN(5) {
				i := rng.IntN(len(lines))
				switch rng.IntN(3) {
				case 0:
					lines = slices.Insert(lines, i, vocab[rng.IntN(len(vocab))])
				case 1:
					lines = slices.Delete(lines, i, i+1)
				default:
					lines[i] = fmt.Sprintf("changed %d", c)
				}
			}
			text := strings.Join(lines, "\n") + "\n"
			versions = append(versions, text)
			r.write("f.txt", text)
			r.commit(fmt.Sprintf("c%d", c))
		}
		checkMarkAssembled(t, r, versions)
	})
}

func checkMarkAssembled(t *testing.T, r *testRepo, versions []string) {
	forEachDelta(t, r, versions, func(k int, parent, child string, d *priorDelta) {
		data := []byte(child)
		lh := hashLines(data)
		fresh := slices.Repeat([]bool{true}, len(lh.starts))
		if !markCopied(fresh, lh.starts, data, d) || !markAssembled(fresh, lh.starts, data, d) {
			t.Fatalf("version %d: the delta does not fit its base", k)
		}
		// Count per content: the lines left fresh must be the child's
		// lines beyond the parent's count of the same line.
		want := map[string]int{}
		for _, l := range strings.Split(strings.TrimSuffix(child, "\n"), "\n") {
			want[l]++
		}
		for _, l := range strings.Split(strings.TrimSuffix(parent, "\n"), "\n") {
			if want[l] > 0 {
				want[l]--
			}
		}
		got := map[string]int{}
		for i, l := range strings.Split(strings.TrimSuffix(child, "\n"), "\n") {
			if fresh[i] {
				got[l]++
			}
		}
		for l, n := range want {
			if n == 0 {
				delete(want, l)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("version %d: lines left fresh (-by count +through the delta):\n%s", k, diff)
		}
	})
}

// A --range on a packed repository compares a changed file with the
// version it replaced through that version's delta, without reading it,
// and keeps only findings on the changed lines, as reading it would.
func TestGitRangeComparedByDelta(t *testing.T) {
	r := newTestRepo(t)
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf("setting_%d = value %d", i, i))
	}
	r.write("conf.txt", strings.Join(lines, "\n")+"\n")
	base := r.commit("base")
	lines = slices.Insert(lines, 100, "token = the new line")
	r.write("conf.txt", strings.Join(lines, "\n")+"\n")
	r.commit("edit")
	r.git("repack", "-adq")
	compareByDelta = false
	byLines := scanGit(t, &Git{Dir: r.dir, Range: base + "..HEAD"})
	compareByDelta = true
	g := &Git{Dir: r.dir, Range: base + "..HEAD"}
	got := scanGit(t, g)
	if n := g.gc.throughDelta.Load(); n != 1 {
		t.Fatalf("%d versions compared through their delta, want 1", n)
	}
	if n := g.GitStats().Packed; n != 2 {
		t.Fatalf("%d blobs read from the packs, want 2: the new version, and the old one through its delta", n)
	}
	b := got.byContent(t, strings.Join(lines, "\n")+"\n")
	for i, k := range b.Kept {
		if k != (i == 100) {
			t.Errorf("line %d %q: kept %v", i, lines[i], k)
		}
	}
	if diff := cmp.Diff(byLines.blobs, got.blobs); diff != "" {
		t.Errorf("comparing through the delta changed the result (-reading the version +its delta):\n%s", diff)
	}
}

// A full history on a packed repository compares versions through the
// deltas it rebuilds them from: the same blobs and places as comparing
// lines, and (the lines being distinct) every line that comparing lines
// keeps is kept too.
func TestGitHistoryComparedByDelta(t *testing.T) {
	r := newTestRepo(t)
	evolveFile(r, 17, 300, 80)
	r.git("repack", "-adq", "--depth=50", "--window=50")
	saved := packOrderMin
	defer func() { packOrderMin, compareByDelta = saved, true }()
	packOrderMin = 1
	compareByDelta = false
	byLines := scanGit(t, &Git{Dir: r.dir})
	compareByDelta = true
	g := &Git{Dir: r.dir}
	byDelta := scanGit(t, g)
	if n := g.gc.throughDelta.Load(); n < 10 {
		t.Fatalf("%d versions compared through their delta", n)
	}
	if len(byLines.blobs) != len(byDelta.blobs) || len(byDelta.errs) != 0 {
		t.Fatalf("%d blobs against %d, errors %v", len(byDelta.blobs), len(byLines.blobs), byDelta.errs)
	}
	differ := 0
	for id, want := range byLines.blobs {
		got := byDelta.blobs[id]
		if got == nil || got.Data != want.Data || !slices.Equal(got.Places, want.Places) || len(got.Kept) != len(want.Kept) {
			t.Fatalf("blob %s differs", id)
		}
		for i := range want.Kept {
			if want.Kept[i] && !got.Kept[i] {
				t.Errorf("blob %s line %d: kept comparing lines, not through the delta", id, i)
			}
			if got.Kept[i] != want.Kept[i] {
				differ++
			}
		}
	}
	t.Logf("%d versions through deltas; %d lines kept only through the delta", g.gc.throughDelta.Load(), differ)
}

func TestZlibHeader(t *testing.T) {
	for level := zlib.HuffmanOnly; level <= zlib.BestCompression; level++ {
		var b bytes.Buffer
		w, err := zlib.NewWriterLevel(&b, level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("some content\n"))
		w.Close()
		if !zlibHeader(b.Bytes()[0], b.Bytes()[1]) {
			t.Errorf("level %d: header %x not accepted", level, b.Bytes()[:2])
		}
		var d bytes.Buffer
		w, err = zlib.NewWriterLevelDict(&d, level, []byte("dictionary"))
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if zlibHeader(d.Bytes()[0], d.Bytes()[1]) {
			t.Errorf("level %d: header with a preset dictionary %x accepted", level, d.Bytes()[:2])
		}
	}
	for _, h := range [][2]byte{{0x78, 0x9d}, {0x79, 0x9c}, {0x88, 0x98}, {0x00, 0x00}} {
		if zlibHeader(h[0], h[1]) {
			t.Errorf("header %x accepted", h)
		}
	}
}
