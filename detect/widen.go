package detect

import (
	"bytes"

	"github.com/leakgate/leakgate/leak"
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
		if lo < r.Start {
			d.kw.scan(data[lo:r.Start], func(id, hs, he int) bool {
				for _, ri := range d.keywords[id] {
					if w := d.set.Rules[ri].Window; w > 0 && lo+he+w > r.Start && lo+hs < start {
						start = lo + hs
					}
				}
				return true
			})
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
