package source

import (
	"encoding/hex"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// The listing is what the first phase of a git scan learns from git log:
// every unique blob, each place (path and commit) that introduced it, the
// versions each place replaced, and the commits. It is the only part of a
// scan whose size grows with the whole history (blobs are streamed), so it
// is kept small and free of pointers: ids are binary, paths and names are
// indexes into one table of strings, places and parents live in flat
// slices. (With an id string, a slice of places and a string per parent
// for each blob, and a channel per version for its lines, a synthetic
// history of 200,000 commits and a million blobs held 390 MB in millions
// of small objects, which the garbage collector walked on every cycle;
// laid out this way, the listing and the read phase's tables per blob
// take 160 MB in a few large allocations.)

// objectID is a git object id in binary: a SHA-1 id in the first 20 bytes,
// a SHA-256 id in all 32.
type objectID [32]byte

// commitInfo is one commit that introduced something.
type commitInfo struct {
	hash          objectID
	author, email int32 // in listing.strs
	when          int64 // seconds since the epoch
	offset        int32 // the zone's offset east of UTC, in seconds
}

// place is a blob at a path, introduced by commits[commit] (-1: by no
// commit: staged, or a ref's blob, whose path is the ref's name).
type place struct {
	path   int32 // in listing.strs
	commit int32
	// parents, nParents: in listing.parents, the blobs this one replaced at
	// path in that commit (one per parent commit that had a different
	// regular file there; none when the commit added the file).
	parents, nParents int32
	next              int32 // the blob's next place in listing.places; -1: none
}

// blobEntry is a unique blob (its id is in listing.ids). One without
// places (first -1) is a version that listed blobs replaced but that was
// not itself listed (outside a --range, say): read only to compare with.
type blobEntry struct {
	first, last int32 // its first and last places in listing.places
	count       int32 // its places
}

type placeKey struct {
	blob, path int32
}

// listing is the result of the first phase: unique blobs, in the order they
// were first named (introduced, or replaced by a listed blob), with their
// places.
type listing struct {
	idLen   int // bytes of an object id: 20 (SHA-1) or 32 (SHA-256)
	commits []commitInfo
	// unlisted says which commits git could not diff (see Git.diffTree).
	unlisted []error
	// deleted, when not nil (a push's listing), holds the paths each
	// commit deleted, by commit and blob id (hex).
	deleted map[deletion][]string
	blobs   []blobEntry
	ids     []byte // blob i's id is ids[i*idLen:][:idLen]
	places  []place
	parents []int32  // places' parents, as indexes in blobs
	strs    []string // interned paths, names and emails
	found   int      // blobs with at least one place

	zones map[int32]*time.Location // one fixed zone per offset, for origins

	// Lookups, needed while listing only (dropLookups lets them go).
	index  map[objectID]int32
	seen   map[placeKey]struct{}
	strIDs map[string]int32
}

// deletion is a blob that a commit deleted (at the paths listing.deleted
// holds for it).
type deletion struct {
	commit int32
	blob   string
}

func newListing() *listing {
	return &listing{index: map[objectID]int32{}, seen: map[placeKey]struct{}{}, strIDs: map[string]int32{}, zones: map[int32]*time.Location{}}
}

// dropLookups lets the maps that only the listing needs go.
func (l *listing) dropLookups() {
	l.index, l.seen, l.strIDs = nil, nil, nil
}

// parseID decodes a hex object id of this repository. The first id sets
// the id length; an id of another length or with a non-hex digit is
// refused.
func (l *listing) parseID(h []byte) (objectID, bool) {
	var id objectID
	n := len(h) / 2
	if len(h)%2 != 0 || n != 20 && n != 32 || l.idLen != 0 && n != l.idLen {
		return id, false
	}
	if _, err := hex.Decode(id[:n], h); err != nil {
		return id, false
	}
	l.idLen = n
	return id, true
}

// blobID returns blob i's id.
func (l *listing) blobID(i int32) []byte {
	return l.ids[int(i)*l.idLen : int(i+1)*l.idLen : int(i+1)*l.idLen]
}

// idOf returns blob i's id as an objectID.
func (l *listing) idOf(i int32) objectID {
	var id objectID
	copy(id[:], l.blobID(i))
	return id
}

// blobHex returns blob i's id as git writes it.
func (l *listing) blobHex(i int32) string { return hex.EncodeToString(l.blobID(i)) }

func (l *listing) intern(b []byte) int32 {
	if k, ok := l.strIDs[string(b)]; ok {
		return k
	}
	return l.addString(string(b))
}

func (l *listing) internString(s string) int32 {
	if k, ok := l.strIDs[s]; ok {
		return k
	}
	return l.addString(s)
}

func (l *listing) addString(s string) int32 {
	k := int32(len(l.strs))
	l.strs = append(l.strs, s)
	l.strIDs[s] = k
	return k
}

// blob returns the index of the blob id, adding an entry without places if
// it is new.
func (l *listing) blob(id objectID) int32 {
	if i, ok := l.index[id]; ok {
		return i
	}
	i := int32(len(l.blobs))
	l.index[id] = i
	l.blobs = append(l.blobs, blobEntry{first: -1, last: -1})
	l.ids = append(l.ids, id[:l.idLen]...)
	return i
}

// add records that commit introduced blob id at path, replacing the blobs
// parents there. Only a blob's first place at each path counts.
func (l *listing) add(id objectID, path []byte, commit int32, parents []objectID) {
	l.addAt(id, l.intern(path), commit, parents)
}

// addAt is add with the path interned (p).
func (l *listing) addAt(id objectID, p int32, commit int32, parents []objectID) {
	i := l.blob(id)
	b := &l.blobs[i]
	// Most blobs have one or two places, looked through; a blob at many
	// paths is indexed in seen.
	if b.count < manyPlaces {
		for k := b.first; k >= 0; k = l.places[k].next {
			if l.places[k].path == p {
				return
			}
		}
	} else {
		if b.count == manyPlaces {
			for k := b.first; k >= 0; k = l.places[k].next {
				l.seen[placeKey{i, l.places[k].path}] = struct{}{}
			}
		}
		key := placeKey{i, p}
		if _, dup := l.seen[key]; dup {
			return
		}
		l.seen[key] = struct{}{}
	}
	start := int32(len(l.parents))
	for _, pid := range parents {
		l.parents = append(l.parents, l.blob(pid)) // may move l.blobs
	}
	k := int32(len(l.places))
	l.places = append(l.places, place{path: p, commit: commit, parents: start, nParents: int32(len(parents)), next: -1})
	b = &l.blobs[i]
	if b.first < 0 {
		b.first = k
		l.found++
	} else {
		l.places[b.last].next = k
	}
	b.last = k
	b.count++
}

// manyPlaces is the number of places from which a blob's places are
// looked up in listing.seen rather than one by one.
const manyPlaces = 8

// parentsOf returns the blobs that place k replaced.
func (l *listing) parentsOf(k int32) []int32 {
	p := &l.places[k]
	return l.parents[p.parents : p.parents+p.nParents : p.parents+p.nParents]
}

// addCommit records a commit; date is git's strict ISO 8601 (%aI).
func (l *listing) addCommit(hash objectID, name, email, date []byte) int32 {
	c := commitInfo{hash: hash, author: l.intern(name), email: l.intern(email)}
	if t, err := time.Parse(time.RFC3339, string(date)); err == nil {
		_, off := t.Zone()
		c.when, c.offset = t.Unix(), int32(off)
	} else {
		c.when = unknownTime
	}
	l.commits = append(l.commits, c)
	return int32(len(l.commits) - 1)
}

// unknownTime marks a commit whose date could not be parsed.
const unknownTime = -1 << 63

// origin returns where place p is, for a finding.
func (l *listing) origin(repo string, p place) leak.Origin {
	o := leak.Origin{Repo: repo, Path: l.strs[p.path]}
	if p.commit >= 0 {
		c := &l.commits[p.commit]
		o.Commit, o.Author, o.Email = hex.EncodeToString(c.hash[:l.idLen]), l.strs[c.author], l.strs[c.email]
		if c.when != unknownTime {
			o.Time = time.Unix(c.when, 0).In(l.zone(c.offset))
		}
	}
	return o
}

// zone returns a fixed zone for an offset, one per offset.
func (l *listing) zone(offset int32) *time.Location {
	z, ok := l.zones[offset]
	if !ok {
		z = time.FixedZone("", int(offset))
		l.zones[offset] = z
	}
	return z
}

// merge appends o, the listing of the commits that follow l's, to l: as if
// l had listed o's commits itself (a blob o has is l's if l has it too;
// its places in o come after those in l). Only the order of the entries
// can differ (o's are added blob by blob, each with all its places, so a
// version that a later place replaced may come earlier): that order is
// only an order of reading, never of places or findings.
func (l *listing) merge(o *listing) {
	if l.idLen == 0 {
		l.idLen = o.idLen
	}
	base := int32(len(l.commits))
	for _, c := range o.commits {
		c.author, c.email = l.internString(o.strs[c.author]), l.internString(o.strs[c.email])
		l.commits = append(l.commits, c)
	}
	var parents []objectID
	for i := range o.blobs {
		// Entries without places are named by the places that replaced
		// them, and added to l with those.
		id := o.idOf(int32(i))
		for k := o.blobs[i].first; k >= 0; k = o.places[k].next {
			parents = parents[:0]
			for _, pi := range o.parentsOf(k) {
				parents = append(parents, o.idOf(pi))
			}
			p := &o.places[k]
			commit := p.commit
			if commit >= 0 {
				commit += base
			}
			l.addAt(id, l.internString(o.strs[p.path]), commit, parents)
		}
	}
}
