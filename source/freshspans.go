package source

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"slices"
	"sort"

	"github.com/leakgate/leakgate/leak"
)

// A blob compared with the version it replaced through that version's
// delta (the common case of a full history: git stores the older version
// as a delta against the newer) need not be split into lines whole: the
// lines markCopied would leave fresh lie where the delta's copies do not
// reach, and only those are found and split (freshThroughDelta). The
// regions to scan and the filter of findings then come from those lines
// (spanRegions, spanKeep), counting line breaks only up to each region.
// Splitting every version of the benchmark history into lines was a tenth
// of a full scan's CPU, for 786 MB of versions whose new lines were 20 MB.

// span is the bytes data[start:end] of a line, with its line break.
type span struct{ start, end int }

// freshThroughDelta returns the lines of data that are new against the
// replaced version d, a delta against data, in order: the lines that
// markCopied and then markAssembled leave fresh. ok is false when d is
// not a delta against data.
//
// markCopied keeps a line [from, e) as old when one run of copies (copies
// merged where one goes on from another in both versions) covers it and
// the line break before it, or starts exactly at it where the older
// version has a line start too: the run's zone, [a+1, b) or [a, b). So
// with R the farthest end of the zones starting at or before from, the
// line is old exactly when e <= R. R changes only at zone starts: between
// two, the fresh lines are those from the line holding offset R on.
func freshThroughDelta(data []byte, d *priorDelta) (lines []span, ok bool) {
	if d.baseSize != len(data) {
		return nil, false
	}
	// Each run's zone: where the lines it keeps as old may start, and
	// where they must end by.
	type zone struct{ s, e int }
	runs := copyRuns(data, d)
	zones := make([]zone, len(runs))
	for k, r := range runs {
		zones[k] = zone{r.a, r.b}
		if !r.starts {
			zones[k].s++ // the older version has no line start there
		}
	}
	if !slices.IsSortedFunc(zones, func(x, y zone) int { return cmp.Compare(x.s, y.s) }) {
		slices.SortFunc(zones, func(x, y zone) int { return cmp.Compare(x.s, y.s) })
	}
	n := len(data)
	var ranges []span // fresh bytes, whole lines
	add := func(from, to int) {
		if from >= to {
			return
		}
		if k := len(ranges) - 1; k >= 0 && ranges[k].end >= from {
			ranges[k].end = max(ranges[k].end, to)
			return
		}
		ranges = append(ranges, span{from, to})
	}
	// The stretch [lo, hi) between zone starts, reach R: its fresh lines
	// start at or after both lo's first line start and R's line.
	stretch := func(lo, hi, reach int) {
		if lo >= n || reach >= n {
			return
		}
		from := nextLineStart(data, lo)
		if reach > 0 {
			from = max(from, lineStartAt(data, reach))
		}
		if from < hi {
			add(from, lineEndAt(data, hi-1))
		}
	}
	reach, lo := -1, 0
	for k := 0; k < len(zones); {
		s := zones[k].s
		stretch(lo, s, reach)
		for ; k < len(zones) && zones[k].s == s; k++ {
			reach = max(reach, zones[k].e)
		}
		lo = s
	}
	stretch(lo, n, reach)
	if n > 0 && data[n-1] != '\n' {
		add(lineStartAt(data, n-1), n) // the last line, without a line break: left fresh
	}
	for _, r := range ranges {
		for from := r.start; from < r.end; {
			e := r.end
			if i := bytes.IndexByte(data[from:r.end], '\n'); i >= 0 {
				e = from + i + 1
			}
			lines = append(lines, span{from, e})
			from = e
		}
	}
	if len(lines) == 0 {
		return nil, true
	}
	// Lines of the older version put together from pieces or inserted:
	// each pairs with one fresh line with its content.
	cands := assembledLines(data, d)
	if len(cands) == 0 {
		return lines, true
	}
	set := newLineSet(cands)
	return slices.DeleteFunc(lines, func(l span) bool {
		return set.take(maphash.Bytes(lineSeed, bytes.TrimSuffix(data[l.start:l.end], []byte{'\n'})))
	}), true
}

// nextLineStart returns the first offset at or after off where a line of
// data starts (len(data) if none).
func nextLineStart(data []byte, off int) int {
	if off == 0 || data[off-1] == '\n' {
		return off
	}
	return lineEndAt(data, off)
}

// lineStartAt returns where the line that holds offset off starts.
func lineStartAt(data []byte, off int) int {
	return bytes.LastIndexByte(data[:off], '\n') + 1
}

// lineEndAt returns where the line that holds offset off ends: after its
// line break, or at the end of data.
func lineEndAt(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}

// spanRegions returns the regions to scan around fresh lines (in order),
// as changedRegions does for a line array: each run of adjacent fresh
// lines with context lines on either side (contextLines for a changed
// blob), regions closer than mergeGap bytes merged; line numbers are
// counted up to each region only.
func spanRegions(data []byte, lines []span, context int) []leak.Region {
	var out []leak.Region
	counted, line := 0, 1 // line is the number of the line at offset counted
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && lines[j+1].start == lines[j].end {
			j++
		}
		start, stop := lines[i].start, lines[j].end
		for range context {
			if start > 0 {
				start = lineStartAt(data, start-1)
			}
			if stop < len(data) {
				stop = lineEndAt(data, stop)
			}
		}
		if k := len(out) - 1; k >= 0 && start-out[k].End <= mergeGap {
			out[k].End = max(out[k].End, stop)
		} else {
			line += bytes.Count(data[counted:start], []byte{'\n'})
			counted = start
			out = append(out, leak.Region{Start: start, End: stop, Line: line})
		}
		i = j + 1
	}
	return out
}

// mergeSpans returns lines (spans in order) with those closer than
// mergeGap bytes merged: the regions spanRegions gives for them without
// context, without counting their line numbers.
func mergeSpans(lines []span) []span {
	var out []span
	for _, l := range lines {
		if k := len(out) - 1; k >= 0 && l.start-out[k].end <= mergeGap {
			out[k].end = max(out[k].end, l.end)
			continue
		}
		out = append(out, l)
	}
	return out
}

// spanKeep says whether a finding at data[start:end] touches one of the
// fresh lines (in order): whether a line that holds one of its bytes is
// fresh.
func spanKeep(lines []span) func(start, end int) bool {
	return func(start, end int) bool {
		last := max(start, end-1)
		k := sort.Search(len(lines), func(k int) bool { return lines[k].end > start })
		return k < len(lines) && lines[k].start <= last
	}
}
