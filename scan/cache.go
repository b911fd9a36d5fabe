package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// Cache remembers the git blobs already scanned with one rule set and what
// was found in them (--cache FILE), so that a later scan reads only new
// blobs and still reports the old findings. It is keyed by blob id and
// path class (see pathClass): the same blob at a path that a rule treats
// differently is scanned again. A cache made with another rule set (or
// other detector options) is discarded.
//
// The file holds raw secrets, so it is written readable by its owner only.
// Cache is safe for concurrent use.
type Cache struct {
	path    string
	version string
	set     *rules.Set

	mu      sync.Mutex
	entries map[string]*cacheEntry
	classes map[string]string // path -> pathClass, memoized
	names   map[string]string // interned path classes
	dirty   bool
	seen    map[string]bool // entries this scan used or made (see Prune)
	// Repo names the repository scanned. The file records every
	// repository that used it: Prune drops nothing from a cache that
	// another repository used too.
	Repo  string
	repos []string // as the file records them
	// Reset says why an existing cache file was discarded ("" if it was
	// not): another rule set, or an unreadable file.
	Reset string
}

type cacheEntry struct {
	skipped bool            // binary or LFS: nothing to scan
	classes []classFindings // per path class scanned (most blobs have one)
}

// classFindings is what a blob holds at the paths of one class (no
// findings: clean).
type classFindings struct {
	class    string
	findings []cachedFinding
}

// get returns the findings at a path class, and whether it was scanned.
func (e *cacheEntry) get(class string) ([]cachedFinding, bool) {
	for _, cf := range e.classes {
		if cf.class == class {
			return cf.findings, true
		}
	}
	return nil, false
}

// set records the findings at a path class.
func (e *cacheEntry) set(class string, fs []cachedFinding) {
	for i := range e.classes {
		if e.classes[i].class == class {
			e.classes[i].findings = fs
			return
		}
	}
	e.classes = append(e.classes, classFindings{class, fs})
}

// cachedFinding is a finding without its place.
type cachedFinding struct {
	Rule        string   `json:"r"`
	Description string   `json:"d,omitempty"`
	Secret      string   `json:"s"`
	Fingerprint string   `json:"f"`
	Line        int      `json:"l"`
	Column      int      `json:"c"`
	Offset      int      `json:"o"`
	End         int      `json:"e"`
	Entropy     float64  `json:"h,omitempty"`
	Decoded     []string `json:"x,omitempty"`
	Tags        []string `json:"t,omitempty"`
	// Context is the line around the secret (leak.Finding.Context).
	Context string `json:"ctx,omitempty"`
}

// cacheMagic heads the file. Version 2: a blob compared with the version of
// its file that it replaced is keyed "<blob>^<parent prefix>..." (what it reports
// depends on its parents), and its entry holds only what it added.
// Version 3: the second line is "repos" and the quoted paths of the
// repositories that used the cache (see Prune), and the
// file ends with "end <number of entry lines> <CRC-32C of
// the lines before, hex>", so that a file cut short or damaged is known (a
// line "<blob> <class>" cut before its findings would read as clean).
const cacheMagic = "leakgate-cache 3"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrNotCache is returned by OpenCache for a file that is not a cache:
// the cache would overwrite it.
var ErrNotCache = errors.New("not a leakgate cache file; not overwriting it (give a new file's name, or an empty file)")

// OpenCache reads the cache at path for a rule set; version identifies the
// rule set and detector options (a different version discards the file's
// content). A file that does not exist yet gives an empty cache.
//
// A file that is neither a cache nor empty is refused (ErrNotCache); a
// cache that is damaged or cut short, or made by another version or rule
// set, is started afresh (Reset says why). A symbolic link is written
// through, to its target.
func OpenCache(path, version string, set *rules.Set) (*Cache, error) {
	for hops := 0; ; hops++ {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break // (the target may not exist yet: it is then created)
		}
		if hops == 40 {
			return nil, fmt.Errorf("cache: %s: too many levels of symbolic links", path)
		}
		target, err := os.Readlink(path)
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	c := &Cache{path: path, version: version, set: set, entries: map[string]*cacheEntry{}, classes: map[string]string{}, names: map[string]string{}, seen: map[string]bool{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cache: %s: not a regular file", path)
	} else if fi.Size() == 0 {
		return c, nil
	}
	r := bufio.NewReaderSize(f, 1<<20)
	sum := crc32.New(castagnoli)
	head, err := r.ReadString('\n')
	sum.Write([]byte(head))
	if !strings.HasPrefix(head, "leakgate-cache ") {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("cache: %w", err)
		}
		if err == nil || !strings.HasPrefix("leakgate-cache ", head) {
			return nil, fmt.Errorf("cache: %s: %w", path, ErrNotCache)
		}
		// A cache cut short in its first words.
	}
	c.dirty = true // unless it is read whole below
	// afresh drops what was read: the cache starts empty, for why.
	afresh := func(why string) (*Cache, error) {
		c.entries, c.repos, c.Reset = map[string]*cacheEntry{}, nil, why
		return c, nil
	}
	switch {
	case err != nil:
		return afresh("damaged (cut short)")
	case !strings.HasPrefix(head, cacheMagic+" "):
		return afresh("made by another version of leakgate")
	case strings.TrimSpace(strings.TrimPrefix(head, cacheMagic+" ")) != version:
		return afresh("made with other rules or options")
	}
	repo, err := r.ReadString('\n')
	sum.Write([]byte(repo))
	if err != nil {
		return afresh("damaged (cut short)")
	}
	list, ok := strings.CutPrefix(strings.TrimSuffix(repo, "\n"), "repos")
	for ok && list != "" {
		var q string
		if q, err = strconv.QuotedPrefix(strings.TrimPrefix(list, " ")); err != nil {
			break
		}
		name, _ := strconv.Unquote(q)
		c.repos = append(c.repos, name)
		list = strings.TrimPrefix(strings.TrimPrefix(list, " "), q)
	}
	if !ok || err != nil {
		return afresh("damaged (line 2: no repositories)")
	}
	lines := 0
	for n := 3; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil {
			// The last line, "end N", was missing or cut short.
			return afresh("damaged (cut short)")
		}
		if end, ok := bytes.CutPrefix(line, []byte("end ")); ok {
			if want := fmt.Sprintf("%d %08x\n", lines, sum.Sum32()); string(end) != want {
				// (Not quoted: a damaged file may hold anything there.)
				return afresh(fmt.Sprintf("damaged (line %d: the end line does not match the %d entry lines before it)", n, lines))
			}
			if _, err := r.ReadByte(); err != io.EOF {
				return afresh(fmt.Sprintf("damaged (more after its end, line %d)", n))
			}
			break
		}
		sum.Write(line)
		line = line[:len(line)-1]
		if perr := c.parseLine(line); perr != nil {
			return afresh(fmt.Sprintf("damaged (line %d: %v)", n, perr))
		}
		lines++
	}
	c.dirty = false
	return c, nil
}

func (c *Cache) parseLine(line []byte) error {
	blob, rest, _ := bytes.Cut(line, []byte{' '})
	class, data, _ := bytes.Cut(rest, []byte{' '})
	if len(blob) < 40 || len(class) == 0 {
		return errors.New("malformed")
	}
	e := c.entry(string(blob))
	if string(class) == "-" {
		e.skipped = true
		return nil
	}
	var fs []cachedFinding
	if len(data) > 0 {
		if err := json.Unmarshal(data, &fs); err != nil {
			return err
		}
	}
	e.set(c.className(class), fs)
	return nil
}

func (c *Cache) entry(blob string) *cacheEntry {
	e := c.entries[blob]
	if e == nil {
		e = &cacheEntry{}
		c.entries[blob] = e
	}
	return e
}

// className interns a path class read from the file (there are few).
func (c *Cache) className(b []byte) string {
	if k, ok := c.names[string(b)]; ok {
		return k
	}
	k := string(b)
	c.names[k] = k
	return k
}

// class returns the path class of p; c.mu is held.
func (c *Cache) class(p string) string {
	k, ok := c.classes[p]
	if !ok {
		k = pathClass(c.set, p)
		c.classes[p] = k
	}
	return k
}

// Len is the number of blobs in the cache.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Known reports whether blob (a cache key: see cacheMagic) was scanned for
// every one of its places (for source.Git.Known).
func (c *Cache) Known(blob string, places []leak.Origin) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[blob]
	if e == nil {
		// A binary blob is remembered by its id alone.
		id, _, compared := strings.Cut(blob, "^")
		if compared && c.entries[id] != nil && c.entries[id].skipped {
			c.seen[id] = true
			return true
		}
		return false
	}
	c.seen[blob] = true
	if e.skipped {
		return true
	}
	for _, o := range places {
		if _, ok := e.get(c.class(o.Path)); !ok {
			return false
		}
	}
	return true
}

// Skip records a blob that has nothing to scan whatever its path (binary,
// or a Git LFS pointer), for source.Git.Skip.
func (c *Cache) Skip(blob string) {
	c.mu.Lock()
	c.entry(blob).skipped = true
	c.seen[blob] = true
	c.dirty = true
	c.mu.Unlock()
}

// replay returns the cached findings of a chunk's blob at each of its
// places.
func (c *Cache) replay(ch leak.Chunk) []leak.Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[ch.Blob]
	if e == nil || e.skipped {
		return nil
	}
	clean := true
	for _, cf := range e.classes {
		clean = clean && len(cf.findings) == 0
	}
	if clean {
		return nil
	}
	var out []leak.Finding
	for i := -1; i < len(ch.Also); i++ {
		o := ch.Origin
		if i >= 0 {
			o = ch.Also[i]
		}
		fs, _ := e.get(c.class(o.Path))
		for _, cf := range fs {
			f := leak.Finding{
				RuleID: cf.Rule, Description: cf.Description, Secret: leak.NewSecret(cf.Secret),
				Fingerprint: cf.Fingerprint, Origin: o, Offset: cf.Offset, End: cf.End,
				Entropy: cf.Entropy, Decoded: cf.Decoded, Tags: cf.Tags, Status: leak.Unchecked,
				Context: leak.NewSecret(cf.Context),
			}
			f.Origin.Line, f.Origin.Column = cf.Line, cf.Column
			out = append(out, f)
		}
	}
	return out
}

// record sets the findings of blob (a cache key: one chunk) at a path
// class (fs may be empty: the class is then known clean). They replace
// what an earlier scan recorded there: a blob scanned again (found at a
// path of a class the cache did not know) would otherwise have its
// findings at the classes it knew added twice.
func (c *Cache) record(blob, class string, fs []leak.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(blob)
	c.seen[blob] = true
	list := make([]cachedFinding, 0, len(fs))
	for _, f := range fs {
		list = append(list, cachedFinding{
			Rule: f.RuleID, Description: f.Description, Secret: f.Secret.Reveal(), Fingerprint: f.Fingerprint,
			Line: f.Origin.Line, Column: f.Origin.Column, Offset: f.Offset, End: f.End,
			Entropy: f.Entropy, Decoded: f.Decoded, Tags: f.Tags, Context: f.Context.Reveal(),
		})
	}
	e.set(class, list)
	c.dirty = true
}

// forget drops a blob whose scan may be incomplete (a canceled scan).
func (c *Cache) forget(blob string) {
	c.mu.Lock()
	delete(c.entries, blob)
	c.mu.Unlock()
}

// Prune drops the entries that this scan neither used nor made: after a
// whole history was scanned, they are blobs no ref reaches any more (a
// rewritten history's), whose raw secrets should not outlive them here.
// A cache that another repository used too (one file shared by several)
// is left whole: its other entries may be that repository's.
func (c *Cache) Prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.repos {
		if r != c.Repo {
			return
		}
	}
	for id := range c.entries {
		if !c.seen[id] {
			delete(c.entries, id)
			c.dirty = true
		}
	}
}

// Save writes the cache back to its file (atomically, mode 0600) if
// anything changed.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	dir := filepath.Dir(c.path)
	tmp, err := os.CreateTemp(dir, ".leakgate-cache-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	sum := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(tmp, sum), 1<<20)
	repos := c.repos
	if !slices.Contains(repos, c.Repo) {
		repos = append(slices.Clip(repos), c.Repo)
	}
	fmt.Fprintf(w, "%s %s\nrepos", cacheMagic, c.version)
	for _, r := range repos {
		fmt.Fprintf(w, " %s", strconv.Quote(r))
	}
	w.WriteByte('\n')
	ids := make([]string, 0, len(c.entries))
	for id := range c.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	lines := 0
	for _, id := range ids {
		e := c.entries[id]
		if e.skipped {
			fmt.Fprintf(w, "%s -\n", id)
			lines++
			continue
		}
		classes := slices.SortedFunc(slices.Values(e.classes), func(a, b classFindings) int { return strings.Compare(a.class, b.class) })
		for _, cf := range classes {
			k, fs := cf.class, cf.findings
			lines++
			if len(fs) == 0 {
				fmt.Fprintf(w, "%s %s\n", id, k)
				continue
			}
			data, err := json.Marshal(fs)
			if err != nil {
				tmp.Close()
				return fmt.Errorf("cache: %w", err)
			}
			fmt.Fprintf(w, "%s %s %s\n", id, k, data)
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if _, err := fmt.Fprintf(tmp, "end %d %08x\n", lines, sum.Sum32()); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Sync(); err != nil { // the rename must not land before the content
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.dirty = false
	return nil
}
