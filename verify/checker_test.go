package verify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// fakeVerifier answers from a function and counts its calls.
type fakeVerifier struct {
	provider string
	rules    []string
	pairs    map[string][]string
	mu       sync.Mutex
	calls    []Credential
	answer   func(n int, c Credential) Result
}

func (f *fakeVerifier) Provider() string { return f.provider }
func (f *fakeVerifier) Rules() []string  { return f.rules }
func (f *fakeVerifier) Companions(rule string) []string {
	return f.pairs[rule]
}
func (f *fakeVerifier) Verify(ctx context.Context, c Credential) Result {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	n := len(f.calls)
	f.mu.Unlock()
	return f.answer(n, c)
}

func finding(rule, secret, path string, offset int) leak.Finding {
	return leak.Finding{RuleID: rule, Secret: leak.NewSecret(secret), Fingerprint: leak.Fingerprint(rule, secret),
		Origin: leak.Origin{Path: path, Line: 1 + offset/10}, Offset: offset}
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestOneCallPerUniqueSecret(t *testing.T) {
	t.Parallel()
	v := &fakeVerifier{provider: "p", rules: []string{"r"}, answer: func(_ int, c Credential) Result {
		if strings.HasSuffix(c.Secret.Reveal(), "7") {
			return Live("owner of " + c.Secret.Reveal())
		}
		return Dead("401")
	}}
	var fs []leak.Finding
	for i := range 1000 {
		fs = append(fs, finding("r", fmt.Sprintf("token-%03d", i%200), fmt.Sprintf("f%d.txt", i), 0))
	}
	fs = append(fs, finding("other-rule", "whatever", "x", 0))
	c := &Checker{Registry: NewRegistryOf(v), Sleep: noSleep}
	st := c.Verify(context.Background(), fs)
	if st.Calls != 200 || len(v.calls) != 200 {
		t.Errorf("calls = %d (verifier saw %d), want 200", st.Calls, len(v.calls))
	}
	if st.Live != 100 || st.Dead != 900 || st.Unsupported != 1 {
		t.Errorf("stats = %+v", st)
	}
	for _, f := range fs[:1000] {
		live := strings.HasSuffix(f.Secret.Reveal(), "7")
		if (f.Status == leak.Live) != live || f.CheckedAt.IsZero() {
			t.Fatalf("%s: status %s at %v", f.Secret.Reveal(), f.Status, f.CheckedAt)
		}
		if live && f.Identity != "owner of "+f.Secret.Redacted() {
			t.Fatalf("identity %q: the secret must be scrubbed from it", f.Identity)
		}
	}
	if fs[1000].Status != leak.Unchecked {
		t.Errorf("a finding without verifier is %q, want unchecked", fs[1000].Status)
	}
	// A second pass on the same Checker (leakgate verify after a scan) asks nothing again.
	c.Verify(context.Background(), fs)
	if len(v.calls) != 200 {
		t.Errorf("second pass made %d more calls", len(v.calls)-200)
	}
}

func TestPairsNearestFirst(t *testing.T) {
	t.Parallel()
	const id, wrong, right, far = "AKIDTESTPAIR", "wrong-secret", "right-secret", "far-secret"
	v := &fakeVerifier{provider: "aws", rules: []string{"key-id", "key-secret"},
		pairs: map[string][]string{"key-id": {"key-secret"}, "key-secret": {"key-id"}},
		answer: func(_ int, c Credential) Result {
			pair := c.Secret.Reveal() + "/" + c.Companion.Reveal()
			switch pair {
			case id + "/" + right, right + "/" + id:
				return Live("arn:aws:iam::123456789012:user/test")
			}
			return Dead("SignatureDoesNotMatch")
		}}
	fs := []leak.Finding{
		finding("key-id", id, "a.env", 100),
		finding("key-secret", wrong, "a.env", 130), // nearest: tried first
		finding("key-secret", right, "a.env", 160),
		finding("key-secret", far, "a.env", 5000),
		finding("key-secret", right, "b.env", 0), // no key id in b.env
		finding("key-id", id, "c.env", 0),
		finding("key-secret", wrong, "c.env", 20),
	}
	c := &Checker{Registry: NewRegistryOf(v), Sleep: noSleep, MaxCompanions: 2}
	c.Verify(context.Background(), fs)
	want := []leak.Status{leak.Live, leak.Dead, leak.Live, leak.Dead, leak.Unknown, leak.Dead, leak.Dead}
	for i, f := range fs {
		if f.Status != want[i] {
			t.Errorf("finding %d (%s in %s): %s (%s), want %s", i, f.RuleID, f.Origin.Path, f.Status, f.StatusReason, want[i])
		}
	}
	if !strings.Contains(fs[4].StatusReason, "key-id") {
		t.Errorf("reason for a lone secret: %q", fs[4].StatusReason)
	}
	// Pairs are checked once whichever side found them: id+wrong, id+right,
	// and far is never tried for the key id (MaxCompanions 2) but is for itself.
	seen := map[string]int{}
	for _, cr := range v.calls {
		seen[credKey(cr)]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("pair %s checked %d times", k, n)
		}
	}
	if len(v.calls) != 3 {
		t.Errorf("%d calls, want 3 (id+wrong, id+right, far+id)", len(v.calls))
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	v := &fakeVerifier{provider: "p", rules: []string{"r"}, answer: func(n int, _ Credential) Result {
		if n == 1 {
			r := Unknown("rate limited (HTTP 429)")
			r.Retry, r.RetryAfter = true, 7*time.Second
			return r
		}
		return Live("me")
	}}
	var waits []time.Duration
	c := &Checker{Registry: NewRegistryOf(v), Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	fs := []leak.Finding{finding("r", "tok", "f", 0)}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Live || len(waits) != 1 || waits[0] != 7*time.Second {
		t.Errorf("status %s, waits %v", fs[0].Status, waits)
	}
}

func TestPersistentFailureIsUnknown(t *testing.T) {
	t.Parallel()
	v := &fakeVerifier{provider: "p", rules: []string{"r"}, answer: func(int, Credential) Result {
		r := Unknown("provider error (HTTP 503)")
		r.Retry = true
		return r
	}}
	var waits []time.Duration
	c := &Checker{Registry: NewRegistryOf(v), Attempts: 3, Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	fs := []leak.Finding{finding("r", "tok", "f", 0)}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Unknown || !strings.Contains(fs[0].StatusReason, "503") || len(v.calls) != 3 {
		t.Errorf("status %s (%s) after %d calls", fs[0].Status, fs[0].StatusReason, len(v.calls))
	}
	if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[1] < time.Second || waits[1] > 1500*time.Millisecond {
		t.Errorf("backoff waits %v, want ~0.5s then ~1s with jitter", waits)
	}
}

func TestTimeoutAndPanicAreUnknown(t *testing.T) {
	t.Parallel()
	v := &fakeVerifier{provider: "p", rules: []string{"slow", "broken"}, answer: func(_ int, c Credential) Result {
		if c.Rule == "broken" {
			panic("bug")
		}
		return Unknown("")
	}}
	slow := &blockingVerifier{}
	c := &Checker{Registry: NewRegistryOf(slow, v), Timeout: time.Millisecond, Sleep: noSleep}
	fs := []leak.Finding{finding("slow", "a", "f", 0), finding("broken", "b", "f", 5)}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Unknown || fs[0].StatusReason != "timed out" {
		t.Errorf("slow: %s (%s)", fs[0].Status, fs[0].StatusReason)
	}
	if fs[1].Status != leak.Unknown || !strings.Contains(fs[1].StatusReason, "failed") {
		t.Errorf("broken: %s (%s)", fs[1].Status, fs[1].StatusReason)
	}
}

// blockingVerifier answers only when its context is done.
type blockingVerifier struct{}

func (blockingVerifier) Provider() string { return "slow" }
func (blockingVerifier) Rules() []string  { return []string{"slow"} }
func (blockingVerifier) Verify(ctx context.Context, _ Credential) Result {
	<-ctx.Done()
	return Unknown("")
}

func TestSend(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/limited":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		case "/redirect":
			http.Redirect(w, r, "http://elsewhere.invalid/steal", http.StatusFound)
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	client := (&Options{}).HTTPClient()
	get := func(path string) (*Response, *Result) {
		return Get(context.Background(), client, srv.URL+path, "Authorization", "Bearer tok")
	}
	if _, r := get("/limited"); r == nil || !r.Retry || r.RetryAfter != 3*time.Second || r.Status != leak.Unknown {
		t.Errorf("429: %+v", r)
	}
	if _, r := get("/down"); r == nil || !r.Retry || !strings.Contains(r.Reason, "502") {
		t.Errorf("502: %+v", r)
	}
	if resp, r := get("/ok"); r != nil || resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
		t.Errorf("200: %+v %+v", resp, r)
	}
	// A redirect to another host is not followed: the token stays here.
	if resp, r := get("/redirect"); r != nil || resp.Status != http.StatusFound {
		t.Errorf("redirect: %+v %+v", resp, r)
	}
	addr := srv.URL
	srv.Close()
	if _, r := Get(context.Background(), client, addr+"/secret-path-tok"); r == nil || r.Status != leak.Unknown || strings.Contains(r.Reason, "secret-path") {
		t.Errorf("closed server: %+v", r)
	}
}

func TestRetryAfterDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}
	if d := RetryAfter(h, now); d != 90*time.Second {
		t.Errorf("RetryAfter(date) = %v", d)
	}
	if d := RetryAfter(http.Header{"Retry-After": {"soon"}}, now); d != 0 {
		t.Errorf("RetryAfter(junk) = %v", d)
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
	o := &Options{Getenv: func(k string) string { return env[k] }, Endpoints: map[string]string{"gitlab": "https://gl.example.com/api/v4/"}}
	if got := o.Endpoint("github", "https://api.github.com", "GITHUB_API_URL"); got != "https://ghe.example.com/api/v3" {
		t.Errorf("github endpoint %q", got)
	}
	if got := o.Endpoint("gitlab", "https://gitlab.com/api/v4", "CI_API_V4_URL"); got != "https://gl.example.com/api/v4" {
		t.Errorf("gitlab endpoint %q", got)
	}
	if got := o.Endpoint("slack", "https://slack.com/api"); got != "https://slack.com/api" {
		t.Errorf("slack endpoint %q", got)
	}
}

// The index-based search for nearby companions finds exactly what a pass
// over every finding of the file would, nearest first.
func TestNearMatchesBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var fs []leak.Finding
		n := 1 + r.IntN(40)
		for range n {
			rule := []string{"id", "secret", "other"}[r.IntN(3)]
			line := 1 + r.IntN(15)
			fs = append(fs, leak.Finding{RuleID: rule, Secret: leak.NewSecret(fmt.Sprintf("s%d", r.IntN(8))),
				Origin: leak.Origin{Path: []string{"a", "b"}[r.IntN(2)], Line: line}, Offset: line*100 + r.IntN(100)})
		}
		ix := indexByPlace(fs)
		for i := range fs {
			k := 1 + r.IntN(3)
			got := ix.near(fs, i, []string{"secret", "other"}, k)
			want := bruteNear(fs, i, []string{"secret", "other"}, k)
			if len(got) != len(want) {
				t.Fatalf("round %d finding %d: near %v, brute force %v", round, i, got, want)
			}
			for x := range got {
				// Equal distances may break ties differently; the ranks must match.
				if distance(&fs[got[x]], &fs[i]) != distance(&fs[want[x]], &fs[i]) {
					t.Fatalf("round %d finding %d: near %v, brute force %v", round, i, got, want)
				}
			}
		}
	}
}

// bruteNear is the obvious search near replaces.
func bruteNear(fs []leak.Finding, i int, rules []string, k int) []int {
	f := &fs[i]
	var cands []int
	for j := range fs {
		g := &fs[j]
		if j != i && slices.Contains(rules, g.RuleID) && g.Origin.Path == f.Origin.Path && g.Secret != f.Secret {
			cands = append(cands, j)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return distance(&fs[cands[a]], f) < distance(&fs[cands[b]], f) })
	var out []int
	seen := map[string]bool{}
	for _, j := range cands {
		if s := fs[j].Secret.Reveal(); !seen[s] && len(out) < k {
			seen[s] = true
			out = append(out, j)
		}
	}
	return out
}
