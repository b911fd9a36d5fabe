package detect

import (
	"bytes"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// Widen extends regions of data that are to be scanned alone (the lines a
// commit changed, with a little context) back to the start of the line of
// any keyword whose rule's window reaches into them: a rule with a window
// matches lines after its keyword's (the data of a Kubernetes Secret below
// its "kind: Secret", an API key a few lines below the provider's name),
// so a new secret line must be scanned with the keyword above it, even
// when that keyword is old. Regions that then overlap are merged. Each
// byte before a region, as far back as the largest window, is looked at
// once at most; nothing is looked at when no rule has a window.
func (d *Detector) Widen(data []byte, regions []leak.Region) []leak.Region {
	reach := d.reach
	if reach == 0 || d.kw == nil || len(regions) == 0 {
		return regions
	}
	out := make([]leak.Region, 0, len(regions))
	seen := 0 // data[:seen] was looked at for earlier regions
	for _, r := range regions {
		lo := max(seen, r.Start-reach)
		if i := bytes.LastIndexByte(data[seen:lo], '\n'); lo > seen {
			lo = seen + i + 1 // from a line start, so that no keyword is cut
		}
		start := r.Start
		if d.widen != nil {
			start = d.widen.reaching(data, lo, r.Start)
		}
		seen = max(seen, r.Start)
		if start < r.Start {
			start = bytes.LastIndexByte(data[:start], '\n') + 1
			r.Line -= bytes.Count(data[start:r.Start], []byte{'\n'})
			r.Start = start
		}
		if k := len(out) - 1; k >= 0 && r.Start <= out[k].End {
			out[k].End = max(out[k].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// widener finds, for Widen, the keywords whose window reaches a region.
// It has an automaton of its own, over the keywords of the rules with a
// window only: most keywords have none, and the full automaton reports
// every hit of the common ones (key, token, secret ...), each with a
// callback for nothing; its table is also ten times larger.
type widener struct {
	kw *keywordDFA
	// reach[id] is the largest window of the rules that use keyword id,
	// all the rules of the keyword whatever their paths, as Widen does
	// not know the path; maxReach is the largest of them.
	reach    []int
	maxReach int
}

// newWidener returns the widener of the set's rules, or nil when no rule
// with keywords has a window.
func newWidener(set *rules.Set) *widener {
	w := &widener{}
	ids := map[string]int{}
	var keywords []string
	for _, r := range set.Rules {
		if r.Window <= 0 {
			continue
		}
		for _, k := range r.Keywords {
			id, ok := ids[k]
			if !ok {
				id = len(keywords)
				ids[k] = id
				keywords = append(keywords, k)
				w.reach = append(w.reach, 0)
			}
			w.reach[id] = max(w.reach[id], r.Window)
			w.maxReach = max(w.maxReach, r.Window)
		}
	}
	if len(keywords) == 0 {
		return nil
	}
	w.kw = newKeywordDFA(keywords)
	return w
}

// reaching returns the start of the earliest keyword in data[lo:end]
// whose window reaches past end, or end when there is none.
func (w *widener) reaching(data []byte, lo, end int) int {
	// Only a keyword that ends less than its window before end counts:
	// none starts before from, where the longest keyword would end just
	// in reach of the largest window. lo, a line start, may be much
	// further back.
	from := max(lo, end-w.maxReach-(w.kw.maxLen-1))
	start := end
	if from < end {
		w.kw.scan(data[from:end], func(id, hs, he int) bool {
			if from+he+w.reach[id] > end && from+hs < start {
				start = from + hs
			}
			return true
		})
	}
	return start
}
