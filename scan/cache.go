package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
const cacheMagic = "leakgate-cache 2"

// OpenCache reads the cache at path for a rule set; version identifies the
// rule set and detector options (a different version discards the file's
// content). A file that does not exist yet gives an empty cache.
func OpenCache(path, version string, set *rules.Set) (*Cache, error) {
	c := &Cache{path: path, version: version, set: set, entries: map[string]*cacheEntry{}, classes: map[string]string{}, names: map[string]string{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head, err := r.ReadString('\n')
	if err == nil && strings.HasPrefix(head, "leakgate-cache ") && !strings.HasPrefix(head, cacheMagic+" ") {
		c.Reset = "made by another version of leakgate"
		c.dirty = true
		return c, nil
	}
	if err != nil || !strings.HasPrefix(head, cacheMagic+" ") {
		c.Reset = "not a leakgate cache file"
		c.dirty = true
		return c, nil
	}
	if strings.TrimSpace(strings.TrimPrefix(head, cacheMagic+" ")) != version {
		c.Reset = "made with another rule set"
		c.dirty = true
		return c, nil
	}
	for n := 2; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		if perr := c.parseLine(bytes.TrimSuffix(line, []byte{'\n'})); perr != nil {
			c.entries = map[string]*cacheEntry{}
			c.Reset = fmt.Sprintf("line %d: %v", n, perr)
			c.dirty = true
			return c, nil
		}
	}
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
		return compared && c.entries[id] != nil && c.entries[id].skipped
	}
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

// record adds the findings of one chunk of blob at a path class (fs may be
// empty: the class is then known clean).
func (c *Cache) record(blob, class string, fs []leak.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(blob)
	list, _ := e.get(class)
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
	w := bufio.NewWriterSize(tmp, 1<<20)
	fmt.Fprintf(w, "%s %s\n", cacheMagic, c.version)
	ids := make([]string, 0, len(c.entries))
	for id := range c.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		e := c.entries[id]
		if e.skipped {
			fmt.Fprintf(w, "%s -\n", id)
			continue
		}
		classes := slices.SortedFunc(slices.Values(e.classes), func(a, b classFindings) int { return strings.Compare(a.class, b.class) })
		for _, cf := range classes {
			k, fs := cf.class, cf.findings
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
