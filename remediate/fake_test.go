package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/leakgate/leakgate/leak"
)

// AWS's documented example key pair: not a credential anywhere.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	operatorKeyID = "AKIDOPERATORTEST"
	operatorARN   = "arn:aws:iam::111122223333:user/ops/incident-bot"
)

// fakeKey is an IAM access key of the fake.
type fakeKey struct {
	user, status string
}

// fakeAWS speaks the IAM and STS Query APIs (form-encoded POST, XML
// answers) well enough for the AWS revoker, driven by aws-sdk-go-v2.
type fakeAWS struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	keys  map[string]*fakeKey
	calls []string
	// faults maps an action to the answers of its next calls: an HTTP
	// status (500, 429), "deny", "hang" or "nosuch".
	faults     map[string][]string
	retryAfter string
	// opAccount, when set, is the operator's account (default the key's).
	opAccount string
}

var credRE = regexp.MustCompile(`Credential=([A-Za-z0-9]+)/`)

func newFakeAWS(t *testing.T) *fakeAWS {
	f := &fakeAWS{t: t, keys: map[string]*fakeKey{exampleKeyID: {user: "alice", status: "Active"}}, faults: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) fault(action string, answers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[action] = append(f.faults[action], answers...)
}

func (f *fakeAWS) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == action {
			n++
		}
	}
	return n
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	action := r.PostForm.Get("Action")
	m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		f.xmlError(w, 403, "MissingAuthenticationToken", "no signature")
		return
	}
	signer := m[1]
	f.mu.Lock()
	f.calls = append(f.calls, action)
	var fault string
	if q := f.faults[action]; len(q) > 0 {
		fault, f.faults[action] = q[0], q[1:]
	}
	f.mu.Unlock()
	ns := "https://iam.amazonaws.com/doc/2010-05-08/"
	switch fault {
	case "":
	case "hang":
		<-r.Context().Done()
		return
	case "deny":
		f.xmlError(w, 403, "AccessDenied", "User: "+operatorARN+" is not authorized to perform: iam:"+action+" on access key "+r.PostForm.Get("AccessKeyId"))
		return
	case "nosuch":
		f.xmlError(w, 404, "NoSuchEntity", "The Access Key with id "+r.PostForm.Get("AccessKeyId")+" cannot be found.")
		return
	case "429":
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		f.xmlError(w, 429, "Throttling", "Rate exceeded")
		return
	default:
		var code int
		fmt.Sscan(fault, &code)
		f.xmlError(w, code, "ServiceFailure", "internal failure")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PostForm.Get("AccessKeyId")
	switch action {
	case "GetCallerIdentity":
		arn, acct := operatorARN, "111122223333"
		if f.opAccount != "" {
			acct = f.opAccount
		}
		if signer != operatorKeyID {
			k := f.keys[signer]
			if k == nil || k.status != "Active" {
				f.xmlError(w, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
				return
			}
			arn, acct = "arn:aws:iam::111122223333:user/dev/"+k.user, "111122223333"
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn, acct)
	case "GetAccessKeyLastUsed":
		k := f.keys[id]
		if k == nil {
			f.xmlError(w, 404, "NoSuchEntity", "The Access Key with id "+id+" cannot be found.")
			return
		}
		fmt.Fprintf(w, `<GetAccessKeyLastUsedResponse xmlns="%s"><GetAccessKeyLastUsedResult><AccessKeyLastUsed><Region>N/A</Region><ServiceName>N/A</ServiceName></AccessKeyLastUsed><UserName>%s</UserName></GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></GetAccessKeyLastUsedResponse>`, ns, k.user)
	case "ListAccessKeys":
		user := r.PostForm.Get("UserName")
		var b strings.Builder
		for kid, k := range f.keys {
			if k.user == user {
				fmt.Fprintf(&b, `<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>2024-01-02T03:04:05Z</CreateDate></member>`, user, kid, k.status)
			}
		}
		fmt.Fprintf(w, `<ListAccessKeysResponse xmlns="%s"><ListAccessKeysResult><UserName>%s</UserName><AccessKeyMetadata>%s</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></ListAccessKeysResponse>`, ns, user, b.String())
	case "UpdateAccessKey":
		k := f.keys[id]
		if k == nil || k.user != r.PostForm.Get("UserName") {
			f.xmlError(w, 404, "NoSuchEntity", "The Access Key with id "+id+" cannot be found.")
			return
		}
		if st := r.PostForm.Get("Status"); st != "Inactive" {
			f.t.Errorf("UpdateAccessKey Status=%q, want Inactive", st)
		}
		k.status = r.PostForm.Get("Status")
		fmt.Fprintf(w, `<UpdateAccessKeyResponse xmlns="%s"><ResponseMetadata><RequestId>r4</RequestId></ResponseMetadata></UpdateAccessKeyResponse>`, ns)
	case "DeleteAccessKey":
		f.t.Errorf("DeleteAccessKey called: keys must never be deleted")
		fallthrough
	default:
		f.xmlError(w, 400, "InvalidAction", "unknown action "+action)
	}
}

func (f *fakeAWS) xmlError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>e1</RequestId></ErrorResponse>`, typ, code, msg)
}

// clock is a fake clock: every reading advances it by a millisecond, and
// Sleep records the wait and advances it, without sleeping.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *clock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// testConfig is a Config for the fakes: endpoints, an environment of its
// own, static operator credentials, the fake clock, no jitter.
func testConfig(t *testing.T, c *clock, env map[string]string, endpoints map[string]string) *Config {
	t.Helper()
	cfg := &Config{
		Getenv:    func(k string) string { return env[k] },
		Endpoints: endpoints,
		Now:       c.Now,
		Sleep:     c.Sleep,
		Jitter:    func() float64 { return 0 },
		Operator:  "tester",
		Hostname:  "testhost",
		Timeout:   Duration{Duration: 5 * time.Second},
	}
	cfg.AWS.Credentials = credentials.NewStaticCredentialsProvider(operatorKeyID, "operator-secret-not-leaked", "")
	return cfg
}

// awsFindings is a leaked key id with its secret key on the next line, in
// two files.
func awsFindings() []leak.Finding {
	fs := []leak.Finding{
		{RuleID: ruleAWSKeyID, Secret: leak.NewSecret(exampleKeyID), Origin: leak.Origin{Path: "deploy/.env", Line: 3, Column: 19}, Status: leak.Live, Identity: "arn:aws:iam::111122223333:user/dev/alice"},
		{RuleID: ruleAWSSecretKey, Secret: leak.NewSecret(exampleSecret), Origin: leak.Origin{Path: "deploy/.env", Line: 4, Column: 23}, Status: leak.Live},
		{RuleID: ruleAWSKeyID, Secret: leak.NewSecret(exampleKeyID), Origin: leak.Origin{Path: "README.md", Line: 40, Column: 5, Commit: "0123456789abcdef0123456789abcdef01234567"}, Status: leak.Live},
	}
	for i := range fs {
		fs[i].Fingerprint = leak.Fingerprint(fs[i].RuleID, fs[i].Secret.Reveal())
	}
	return fs
}

// noSecret fails the test if any of the files or texts holds a secret.
func noSecret(t *testing.T, secrets []string, files []string, texts ...string) {
	t.Helper()
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		texts = append(texts, string(b))
	}
	for _, s := range secrets {
		for i, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("secret %s… found in output %d:\n%s", s[:4], i, txt)
			}
		}
	}
}

// readAudit reads the audit log's entries.
func readAudit(t *testing.T, name string) []AuditEntry {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []AuditEntry
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e AuditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// events lists "event step outcome" for the entries of a step-level kind.
func events(es []AuditEntry) []string {
	var out []string
	for _, e := range es {
		s := e.Event
		if e.Action != "" {
			s += " " + e.Provider + "/" + e.Action
		}
		if e.Outcome != "" {
			s += " " + e.Outcome
		}
		out = append(out, s)
	}
	return out
}

func files(dir string) (audit, state string) {
	return filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "state.json")
}
