package scan

import (
	"slices"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
)

// pathClass says how the rule set treats a path (see rules.Set.PathClass):
// content seen at many paths is scanned once per class, not once per path.
func pathClass(set *rules.Set, path string) string { return set.PathClass(path) }

// detectChunk turns one chunk into findings at all its places, with
// offsets in the whole file. A chunk from git history whose blob the cache
// knows (a Blob and no Data) gets the cached findings; other git chunks
// are recorded in the cache. A chunk with Narrow is scanned only where it
// says, and keeps only the findings it says to keep.
func detectChunk(cfg *Config, c leak.Chunk) []leak.Finding {
	if c.Blob != "" && c.Data == nil {
		if cfg.Cache == nil {
			return nil
		}
		return cfg.Cache.replay(c)
	}
	pieces, keep := chunkPieces(c, cfg.Detector)
	var record func(class string, fs []leak.Finding)
	if cfg.Cache != nil && c.Blob != "" {
		record = func(class string, fs []leak.Finding) { cfg.Cache.record(c.Blob, class, fs) }
	}
	return detectPlaces(cfg.Detector, c, pieces, keep, record)
}

// chunkPieces returns the parts of a chunk to scan, each at most
// source.ChunkSize bytes with its own Offset, Line and Column, and the
// filter of findings (nil: keep all) that the chunk's Narrow gave. The
// regions Narrow gives are widened to the keywords above them whose rules
// reach into them (detect.Detector.Widen).
func chunkPieces(c leak.Chunk, det *detect.Detector) ([]leak.Chunk, func(start, end int) bool) {
	if c.Narrow == nil && len(c.Data) <= source.ChunkSize {
		return []leak.Chunk{c}, nil
	}
	regions := []leak.Region{{Start: 0, End: len(c.Data), Line: max(c.Origin.Line, 1)}}
	var keep func(start, end int) bool
	if c.Narrow != nil {
		regions, keep = c.Narrow()
		if keep != nil {
			regions = det.Widen(c.Data, regions)
		}
	}
	var out []leak.Chunk
	for _, r := range regions {
		source.Split(c.Data[r.Start:r.End], r.Line, func(piece []byte, off int64, line, col int) bool {
			p := c
			p.Data, p.Narrow = piece, nil
			p.Offset = c.Offset + int64(r.Start) + off
			p.Origin.Line, p.Origin.Column = line, col
			out = append(out, p)
			return true
		})
	}
	return out, keep
}

// detectPlaces scans the pieces of a chunk and reports each finding at the
// chunk's Origin and at every place in chunk.Also. Content is scanned once
// per path class (see pathClass), and each finding is copied to the other
// places of the class with their path and commit, keeping its line, column
// and secret. Offsets are made relative to the whole file. keep, when set,
// filters findings by their span in the chunk's Data. record, when set,
// receives the findings of each class at its first place.
func detectPlaces(det *detect.Detector, c leak.Chunk, pieces []leak.Chunk, keep func(start, end int) bool,
	record func(class string, fs []leak.Finding)) []leak.Finding {
	detectAt := func(o leak.Origin) []leak.Finding {
		var out []leak.Finding
		for _, p := range pieces {
			p.Also = nil
			p.Origin = placeAt(o, p.Origin)
			fs := det.Detect(p)
			for i := range fs {
				fs[i].Offset += int(p.Offset)
				fs[i].End += int(p.Offset)
			}
			if keep != nil {
				fs = slices.DeleteFunc(fs, func(f leak.Finding) bool {
					return !keep(f.Offset-int(c.Offset), f.End-int(c.Offset))
				})
			}
			if out == nil {
				out = fs
			} else {
				out = append(out, fs...)
			}
		}
		return out
	}
	if len(c.Also) == 0 && record == nil {
		return detectAt(c.Origin)
	}
	set := det.Rules()
	type group struct{ places []leak.Origin }
	classes := map[string]*group{}
	var order []string
	for i := -1; i < len(c.Also); i++ {
		o := c.Origin
		if i >= 0 {
			o = c.Also[i]
		}
		k := pathClass(set, o.Path)
		g := classes[k]
		if g == nil {
			g = &group{}
			classes[k] = g
			order = append(order, k)
		}
		g.places = append(g.places, o)
	}
	var out []leak.Finding
	for _, k := range order {
		g := classes[k]
		fs := detectAt(g.places[0])
		if record != nil {
			record(k, fs)
		}
		out = append(out, fs...)
		for _, o := range g.places[1:] {
			out = append(out, replicate(fs, o)...)
		}
	}
	return out
}

// placeAt returns the place o with the chunk position of at (the line and
// column where the chunk starts).
func placeAt(o, at leak.Origin) leak.Origin {
	o.Line, o.Column = at.Line, at.Column
	return o
}

// replicate copies findings to another place: same secret, line, column
// and fingerprint; that place's path, commit, author, email and time.
func replicate(fs []leak.Finding, o leak.Origin) []leak.Finding {
	out := make([]leak.Finding, len(fs))
	for i, f := range fs {
		line, col := f.Origin.Line, f.Origin.Column
		f.Origin = o
		f.Origin.Line, f.Origin.Column = line, col
		out[i] = f
	}
	return out
}
