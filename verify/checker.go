package verify

import (
	"context"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/leakgate/leakgate/leak"
)

// Checker runs verifications for a set of findings.
type Checker struct {
	Registry *Registry
	// Timeout bounds each call (default DefaultTimeout).
	Timeout time.Duration
	// Deadline bounds the whole verification (default 2 minutes); what is
	// not checked by then is unknown.
	Deadline time.Duration
	// PerProvider bounds concurrent calls to one provider (default 4).
	PerProvider int
	// Jobs bounds concurrent calls overall (default 16).
	Jobs int
	// Attempts is the number of tries of a call that asks to be retried
	// (default 3).
	Attempts int
	// MaxCompanions is how many nearby candidates are tried for the other
	// part of a multi-part credential (default 3).
	MaxCompanions int
	// Now is the clock (default time.Now); Sleep waits (default: a timer
	// that gives up when ctx is done). Both are injectable for tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	calls atomic.Int64
	mu    sync.Mutex
	cache map[string]*call
	sems  map[string]chan struct{}
}

// call is one provider check, shared by every finding that needs it.
type call struct {
	once sync.Once
	res  Result
	at   time.Time
}

// Stats counts what a Verify did.
type Stats struct {
	// Calls is the number of provider calls made (attempts included).
	Calls                            int
	Live, Dead, Unknown, Unsupported int
}

// Calls returns the number of provider calls made so far.
func (c *Checker) Calls() int { return int(c.calls.Load()) }

// Verify checks every finding that has a verifier and writes its status,
// identity, reason and check time back into fs. Findings no verifier
// handles stay unchecked. One secret is checked once, however many
// findings carry it, and results are kept for later calls on the same
// Checker.
func (c *Checker) Verify(ctx context.Context, fs []leak.Finding) Stats {
	c.init()
	deadline := c.Deadline
	if deadline <= 0 {
		deadline = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()

	ix := indexByPlace(fs)
	type task struct {
		v     Verifier
		creds []Credential
		idx   []int // findings that share these credentials
	}
	tasks := map[string]*task{}
	var order []string
	var st Stats
	for i := range fs {
		f := &fs[i]
		v := c.Registry.For(f.RuleID)
		if v == nil {
			if f.Status == "" {
				f.Status = leak.Unchecked
			}
			st.Unsupported++
			continue
		}
		creds := c.credentials(v, fs, i, ix)
		if len(creds) == 0 {
			f.Status = leak.Unknown
			f.StatusReason = "no other part of this credential was found near it (" + strings.Join(companionsOf(v, f.RuleID), ", ") + ")"
			f.CheckedAt = c.Now()
			st.Unknown++
			continue
		}
		k := credsKey(v, creds)
		t := tasks[k]
		if t == nil {
			t = &task{v: v, creds: creds}
			tasks[k] = t
			order = append(order, k)
		}
		t.idx = append(t.idx, i)
	}

	p := pool.New().WithMaxGoroutines(c.Jobs)
	for _, k := range order {
		t := tasks[k]
		p.Go(func() {
			res, at := c.resolve(ctx, t.v, t.creds)
			for _, i := range t.idx {
				f := &fs[i]
				f.Status, f.Identity, f.StatusReason, f.CheckedAt = res.Status, res.Identity, res.Reason, at
			}
		})
	}
	p.Wait()
	for _, k := range order {
		for _, i := range tasks[k].idx {
			switch fs[i].Status {
			case leak.Live:
				st.Live++
			case leak.Dead:
				st.Dead++
			default:
				st.Unknown++
			}
		}
	}
	st.Calls = c.Calls()
	return st
}

func (c *Checker) init() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache != nil {
		return
	}
	c.cache = map[string]*call{}
	c.sems = map[string]chan struct{}{}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PerProvider <= 0 {
		c.PerProvider = 4
	}
	if c.Jobs <= 0 {
		c.Jobs = 16
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.MaxCompanions <= 0 {
		c.MaxCompanions = 3
	}
}

// resolve tries the credentials in order (nearest companion first) and
// returns the first live answer; dead when every candidate is dead;
// otherwise the first unknown.
func (c *Checker) resolve(ctx context.Context, v Verifier, creds []Credential) (Result, time.Time) {
	var firstUnknown *Result
	var unknownAt time.Time
	var dead Result
	var deadAt time.Time
	ndead := 0
	for _, cr := range creds {
		res, at := c.check(ctx, v, cr)
		switch res.Status {
		case leak.Live:
			return res, at
		case leak.Dead:
			ndead++
			dead, deadAt = res, at
		default:
			if firstUnknown == nil {
				r := res
				firstUnknown, unknownAt = &r, at
			}
		}
	}
	if ndead == len(creds) {
		if len(creds) > 1 {
			dead.Reason = strings.TrimSpace(dead.Reason + " (every nearby candidate tried)")
		}
		return dead, deadAt
	}
	return *firstUnknown, unknownAt
}

// check makes (or reuses) the call for one credential.
func (c *Checker) check(ctx context.Context, v Verifier, cr Credential) (Result, time.Time) {
	key := v.Provider() + "\x00" + callKey(v, cr)
	c.mu.Lock()
	cl := c.cache[key]
	if cl == nil {
		cl = &call{}
		c.cache[key] = cl
	}
	sem := c.sems[v.Provider()]
	if sem == nil {
		sem = make(chan struct{}, c.PerProvider)
		c.sems[v.Provider()] = sem
	}
	c.mu.Unlock()
	cl.once.Do(func() {
		cl.res = c.attempt(ctx, v, cr, sem)
		cl.res.Reason = scrub(cl.res.Reason, cr)
		cl.res.Identity = scrub(cl.res.Identity, cr)
		cl.res.Retry, cl.res.RetryAfter = false, 0
		cl.at = c.Now()
	})
	return cl.res, cl.at
}

// attempt calls the verifier, retrying with backoff and jitter while it
// asks to, within ctx.
func (c *Checker) attempt(ctx context.Context, v Verifier, cr Credential, sem chan struct{}) Result {
	var res Result
	for n := 0; n < c.Attempts; n++ {
		if n > 0 {
			wait := backoff(n, res.RetryAfter)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				res.Reason += "; not retried: the verification deadline is too close"
				return res
			}
			if err := c.Sleep(ctx, wait); err != nil {
				return Unknown("verification deadline reached before a retry: " + res.Reason)
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return Unknown("verification deadline reached before the provider was called")
		}
		res = c.once(ctx, v, cr)
		<-sem
		if res.Status == "" {
			res = Unknown("the verifier gave no answer")
		}
		if !res.Retry || res.Status != leak.Unknown {
			return res
		}
	}
	return res
}

func (c *Checker) once(ctx context.Context, v Verifier, cr Credential) (res Result) {
	c.calls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			res = Unknown("the verifier failed")
		}
	}()
	res = v.Verify(ctx, cr)
	if res.Status == leak.Unknown && ctx.Err() != nil && res.Reason == "" {
		res.Reason = "timed out"
	}
	return res
}

// backoff is the wait before retry n (1-based): the provider's Retry-After
// when it gave one (capped at 30s), else 500ms doubling, with up to 50%
// jitter.
func backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, 30*time.Second)
	}
	d := 500 * time.Millisecond << (n - 1)
	return d + time.Duration(rand.Int64N(int64(d)/2+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scrub removes the credential's parts from text the provider or the
// network stack produced (a URL in an error can carry a token).
func scrub(s string, cr Credential) string {
	parts := []leak.Secret{cr.Secret, cr.Companion, cr.Context}
	for _, x := range cr.Extras {
		parts = append(parts, x)
	}
	return leak.Scrub(s, parts...)
}

// place identifies where a finding is: companions are looked for among the
// findings of the same file at the same commit.
type place struct{ commit, path string }

// placeIndex lists, for each place and rule, the indexes of its findings in
// file order (line, then offset), so the nearest findings of a rule are
// found by a binary search and a short walk, not a pass over the file's
// findings: a dump of thousands of keys in one file stays linear.
type placeIndex map[place]map[string][]int

func indexByPlace(fs []leak.Finding) placeIndex {
	ix := placeIndex{}
	for i := range fs {
		p := place{fs[i].Origin.Commit, fs[i].Origin.Path}
		if ix[p] == nil {
			ix[p] = map[string][]int{}
		}
		ix[p][fs[i].RuleID] = append(ix[p][fs[i].RuleID], i)
	}
	for _, byRule := range ix {
		for _, list := range byRule {
			sort.SliceStable(list, func(a, b int) bool { return fileOrder(&fs[list[a]], &fs[list[b]]) })
		}
	}
	return ix
}

func fileOrder(a, b *leak.Finding) bool {
	if a.Origin.Line != b.Origin.Line {
		return a.Origin.Line < b.Origin.Line
	}
	return a.Offset < b.Offset
}

// distance orders findings by how near they are to each other: by line,
// then by byte offset (a report read back from JSON has lines but no
// offsets).
func distance(a, b *leak.Finding) int {
	return abs(a.Origin.Line-b.Origin.Line)<<32 | abs(a.Offset-b.Offset)
}

// near returns up to k findings of rules in fs[i]'s file with distinct
// secrets other than fs[i]'s own, nearest first. The k nearest overall are
// among the k nearest on each side in each rule's list, so each side is
// walked only until it has k distinct secrets.
func (ix placeIndex) near(fs []leak.Finding, i int, rules []string, k int) []int {
	f := &fs[i]
	byRule := ix[place{f.Origin.Commit, f.Origin.Path}]
	var cands []int
	for _, r := range rules {
		list := byRule[r]
		pos := sort.Search(len(list), func(n int) bool { return !fileOrder(&fs[list[n]], f) })
		for _, step := range []int{-1, 1} {
			seen := map[string]bool{f.Secret.Reveal(): true}
			n := pos
			if step < 0 {
				n = pos - 1
			}
			for ; n >= 0 && n < len(list) && len(seen) <= k; n += step {
				j := list[n]
				if sec := fs[j].Secret.Reveal(); j != i && !seen[sec] {
					seen[sec] = true
					cands = append(cands, j)
				}
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return distance(&fs[cands[a]], f) < distance(&fs[cands[b]], f) })
	out := cands[:0]
	seen := map[string]bool{}
	for _, j := range cands {
		if sec := fs[j].Secret.Reveal(); !seen[sec] && len(out) < k {
			seen[sec] = true
			out = append(out, j)
		}
	}
	return out
}

func companionsOf(v Verifier, rule string) []string {
	if p, ok := v.(Paired); ok {
		return p.Companions(rule)
	}
	return nil
}

// credentials returns the credentials to try for f: its secret alone, or
// paired with each of the nearest findings of a companion rule in the same
// file (at most MaxCompanions, nearest first, distinct secrets), with the
// nearest finding of each further part a MultiPart verifier asks for.
func (c *Checker) credentials(v Verifier, fs []leak.Finding, i int, ix placeIndex) []Credential {
	f := &fs[i]
	creds := []Credential{{Rule: f.RuleID, Secret: f.Secret}}
	if comp := companionsOf(v, f.RuleID); len(comp) > 0 {
		creds = creds[:0]
		for _, j := range ix.near(fs, i, comp, c.MaxCompanions) {
			creds = append(creds, Credential{Rule: f.RuleID, Secret: f.Secret, Companion: fs[j].Secret, CompanionRule: fs[j].RuleID})
		}
	}
	if _, ok := v.(Contextual); ok {
		for k := range creds {
			creds[k].Context = f.Context
		}
	}
	if mp, ok := v.(MultiPart); ok {
		var extras map[string]leak.Secret
		for _, r := range mp.Extras(f.RuleID) {
			if near := ix.near(fs, i, []string{r}, 1); len(near) > 0 {
				if extras == nil {
					extras = map[string]leak.Secret{}
				}
				extras[r] = fs[near[0]].Secret
			}
		}
		for k := range creds {
			creds[k].Extras = extras
		}
	}
	return creds
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func credKey(cr Credential) string {
	key := leak.Fingerprint(cr.Rule, cr.Secret.Reveal())
	if !cr.Companion.IsZero() {
		b := leak.Fingerprint(cr.CompanionRule, cr.Companion.Reveal())
		if b < key {
			key, b = b, key
		}
		key += "+" + b
	}
	rules := make([]string, 0, len(cr.Extras))
	for r := range cr.Extras {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		key += "&" + leak.Fingerprint(r, cr.Extras[r].Reveal())
	}
	return key
}

// callKey identifies the provider call for cr.
func callKey(v Verifier, cr Credential) string {
	if cv, ok := v.(Contextual); ok {
		return credKey(cr) + "@" + leak.Fingerprint("call", cv.CallKey(cr))
	}
	return credKey(cr)
}

func credsKey(v Verifier, cs []Credential) string {
	keys := make([]string, len(cs))
	for i, cr := range cs {
		keys[i] = callKey(v, cr)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
