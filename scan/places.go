package scan

import (
	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// pathClass says how the rule set treats a path (see rules.Set.PathClass):
// content seen at many paths is scanned once per class, not once per path.
func pathClass(set *rules.Set, path string) string { return set.PathClass(path) }

// detectChunk turns one chunk into findings at all its places, with
// offsets in the whole file. A chunk from git history whose blob the cache
// knows (a Blob and no Data) gets the cached findings; other git chunks
// are recorded in the cache.
func detectChunk(cfg *Config, c leak.Chunk) []leak.Finding {
	if c.Blob != "" && c.Data == nil {
		if cfg.Cache == nil {
			return nil
		}
		return cfg.Cache.replay(c)
	}
	var record func(class string, fs []leak.Finding)
	if cfg.Cache != nil && c.Blob != "" {
		record = func(class string, fs []leak.Finding) { cfg.Cache.record(c.Blob, class, fs) }
	}
	return detectPlaces(cfg.Detector, c, record)
}

// detectPlaces scans a chunk and reports each finding at the chunk's Origin
// and at every place in chunk.Also. Content is scanned once per path class
// (see pathClass), and each finding is copied to the other places of the
// class with their path and commit, keeping its line, column and secret.
// Offsets are made relative to the whole file. record, when set, receives
// the findings of each class at its first place.
func detectPlaces(det *detect.Detector, c leak.Chunk, record func(class string, fs []leak.Finding)) []leak.Finding {
	if len(c.Also) == 0 && record == nil {
		fs := det.Detect(c)
		for i := range fs {
			fs[i].Offset += int(c.Offset)
			fs[i].End += int(c.Offset)
		}
		return fs
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
		one := c
		one.Also = nil
		one.Origin = placeAt(g.places[0], c.Origin)
		fs := det.Detect(one)
		for i := range fs {
			fs[i].Offset += int(c.Offset)
			fs[i].End += int(c.Offset)
		}
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
