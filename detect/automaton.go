package detect

// keywordDFA is an Aho-Corasick automaton over the rules' keywords,
// compiled to a DFA that reads its input ASCII-case-insensitively: an
// upper-case letter takes the transition of its lower-case form. So the
// input is scanned as it is, without first being copied in lower case.
//
// Keywords are lower case (rules.Rule.Validate lowers them). One that still
// holds an upper-case letter never matches, as it never matched the
// lower-cased copy the detector used to scan.
type keywordDFA struct {
	class [256]uint8 // input byte -> byte class
	shift uint       // log2 of the row width, a power of two >= the class count
	// trans[state<<shift | class] is the next state, shifted left by
	// shift, with matchBit set when that state ends a keyword.
	trans  []uint32
	outs   [][]int32 // state -> the keywords ending there, longest first
	lens   []int     // keyword -> length
	maxLen int       // length of the longest keyword
}

const matchBit = 1 << 31

// newKeywordDFA compiles the automaton for the keywords; the keyword ids
// it reports are their indexes.
func newKeywordDFA(keywords []string) *keywordDFA {
	a := &keywordDFA{lens: make([]int, len(keywords))}
	// Classes: one for each byte that occurs in a keyword, one (0) for the
	// rest. Upper-case input letters share the class of their lower case.
	nclass := 1
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			if a.class[k[i]] == 0 {
				a.class[k[i]] = uint8(nclass)
				nclass++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	for 1<<a.shift < nclass {
		a.shift++
	}
	width := 1 << a.shift

	// The trie, with goto[state*width+class] = next state or -1. It has at
	// most one state per keyword byte, plus the root: sized at once (growing
	// it was a quarter of start-up).
	states := 1
	for _, k := range keywords {
		states += len(k)
	}
	next := make([]int32, 0, states*width)
	a.outs = make([][]int32, 0, states)
	empty := make([]int32, width)
	for i := range empty {
		empty[i] = -1
	}
	newState := func() int32 {
		next = append(next, empty...)
		a.outs = append(a.outs, nil)
		return int32(len(a.outs) - 1)
	}
	newState() // 0: the root
	for id, k := range keywords {
		a.lens[id] = len(k)
		a.maxLen = max(a.maxLen, len(k))
		if k == "" || hasUpper(k) {
			continue
		}
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := int(a.class[k[i]])
			if next[int(s)*width+c] < 0 {
				n := newState()
				next[int(s)*width+c] = n
			}
			s = next[int(s)*width+c]
		}
		a.outs[s] = append(a.outs[s], int32(id))
	}

	// Failure links, breadth first; each state's outputs are its own
	// keyword, then those of its failure state (longest first); missing
	// transitions take the failure state's.
	fail := make([]int32, len(a.outs))
	queue := []int32{}
	for c := range width {
		if n := next[c]; n >= 0 {
			fail[n] = 0
			queue = append(queue, n)
		} else {
			next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.outs[s] = append(a.outs[s], a.outs[fail[s]]...)
		for c := range width {
			n := next[int(s)*width+c]
			if n < 0 {
				next[int(s)*width+c] = next[int(fail[s])*width+c]
				continue
			}
			fail[n] = next[int(fail[s])*width+c]
			queue = append(queue, n)
		}
	}

	a.trans = make([]uint32, len(next))
	for i, n := range next {
		v := uint32(n) << a.shift
		if len(a.outs[n]) > 0 {
			v |= matchBit
		}
		a.trans[i] = v
	}
	return a
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// scan calls yield for every keyword occurrence in data, overlapping ones
// included, in order of their end (longest first for the same end), until
// yield returns false.
//
// Each input byte costs a table look-up that depends on the previous one,
// so one pass is bound by the latency of that chain. On inputs long enough
// the input is cut in four quarters run as four independent chains in one
// loop, which the CPU overlaps. Chain k > 0 starts maxLen-1 bytes before
// its quarter, so that it sees every keyword that ends in it, and keeps
// only those (each chain runs maxLen-1 bytes into the next quarter, so
// that all run the same number of steps); its hits wait in a buffer until
// the quarters before it are done. The last chain then goes on to the end.
func (a *keywordDFA) scan(data []byte, yield func(id, start, end int) bool) {
	q := len(data) / chains
	if len(data) < splitMin || q < a.maxLen {
		a.scanFrom(data, 0, 0, yield)
		return
	}
	back := a.maxLen - 1
	steps := q + back
	// Chain k reads data[from[k]:][:steps] and keeps the hits that end in
	// (lo[k], hi[k]].
	var from, lo, hi [chains]int
	for k := range chains {
		from[k], lo[k], hi[k] = max(0, k*q-back), k*q, (k+1)*q
	}
	hi[chains-1] = len(data)
	d0, d1, d2, d3 := data[from[0]:][:steps], data[from[1]:][:steps], data[from[2]:][:steps], data[from[3]:][:steps]
	trans, class := a.trans, &a.class
	var held [chains][]hit
	var s0, s1, s2, s3 uint32
	hits := func(k, i int, s uint32) bool {
		end := from[k] + i + 1
		if end <= lo[k] || end > hi[k] {
			return true
		}
		for _, id := range a.outs[s>>a.shift] {
			if k == 0 {
				if !yield(int(id), end-a.lens[id], end) {
					return false
				}
				continue
			}
			held[k] = append(held[k], hit{int(id), end - a.lens[id], end})
		}
		return true
	}
	for i := range steps {
		s0 = trans[s0+uint32(class[d0[i]])]
		s1 = trans[s1+uint32(class[d1[i]])]
		s2 = trans[s2+uint32(class[d2[i]])]
		s3 = trans[s3+uint32(class[d3[i]])]
		if (s0|s1|s2|s3)&matchBit == 0 {
			continue
		}
		if s0&matchBit != 0 {
			s0 &^= matchBit
			if !hits(0, i, s0) {
				return
			}
		}
		if s1&matchBit != 0 {
			s1 &^= matchBit
			hits(1, i, s1)
		}
		if s2&matchBit != 0 {
			s2 &^= matchBit
			hits(2, i, s2)
		}
		if s3&matchBit != 0 {
			s3 &^= matchBit
			hits(3, i, s3)
		}
	}
	for k := 1; k < chains; k++ {
		for _, h := range held[k] {
			if !yield(h.id, h.start, h.end) {
				return
			}
		}
	}
	a.scanFrom(data, from[3]+steps, s3, yield)
}

// chains is the number of chains scan runs on long inputs.
const chains = 4

// splitMin is the input length from which scan runs several chains.
const splitMin = 1 << 10

// hit is a keyword occurrence: the keyword and its span.
type hit struct{ id, start, end int }

// scanFrom runs the automaton over data[from:] from state s, and returns
// the state it ends in (undefined when yield stopped it), from which a
// later call can go on with the bytes that follow.
func (a *keywordDFA) scanFrom(data []byte, from int, s uint32, yield func(id, start, end int) bool) uint32 {
	trans, class := a.trans, &a.class
	for i := from; i < len(data); i++ {
		s = trans[s+uint32(class[data[i]])]
		if s&matchBit == 0 {
			continue
		}
		s &^= matchBit
		for _, id := range a.outs[s>>a.shift] {
			if !yield(int(id), i+1-a.lens[id], i+1) {
				return s
			}
		}
	}
	return s
}
