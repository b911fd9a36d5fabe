package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
)

// fakeToken makes a token of prefix with a random body and a valid
// GitHub-style checksum: shaped like a real one, valid for nobody.
func fakeToken(r *rand.Rand, prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 30)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return prefix + string(b) + detect.Base62CRC32(string(b))
}

func target(rule, secret string) *Target {
	return &Target{Fingerprint: leak.Fingerprint(rule, secret), Rule: rule, Secret: leak.NewSecret(secret),
		Status: leak.Live, Identity: "login octo", Locations: []leak.Origin{{Path: "deploy/app.env", Line: 3, Commit: "abc123"}}}
}

// recorder is an httptest server that records requests and answers with
// reply.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
}

func newRecorder(t *testing.T, reply func(w http.ResponseWriter, r *http.Request, body string)) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Clone(context.Background()))
		rec.bodies = append(rec.bodies, string(b))
		rec.mu.Unlock()
		reply(w, r, string(b))
	}))
	t.Cleanup(rec.Close)
	return rec
}

// noSecret fails the test if any text holds the secret.
func tokenNotIn(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("the secret appears in %q", s)
		}
	}
}

func stepTexts(steps []Step) []string {
	var out []string
	for _, s := range steps {
		js, _ := json.Marshal(s)
		out = append(out, string(js))
	}
	return out
}

func TestGitHubRevoker(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	tok := fakeToken(r, "ghp_")
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		want    Outcome
		retry   bool
		errText string
	}{
		{"accepted", 202, ``, Done, false, ""},
		{"spammed", 422, `{"message":"Validation Failed"}`, Failed, false, "422"},
		{"server error", 500, `{"message":"oops"}`, Failed, true, "500"},
		{"rate limited", 429, `{"message":"slow down"}`, Failed, true, "429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ string) {
				if tc.status == 429 {
					w.Header().Set("Retry-After", "9")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			rv := NewGitHubRevoker(GitHubOptions{BaseURL: srv.URL})
			tg := target("github-pat", tok)
			if !rv.Handles("github-pat") || rv.Handles("aws-access-key-id") {
				t.Fatal("Handles")
			}
			steps := rv.Plan(context.Background(), tg)
			if len(steps) != 1 || steps[0].Problem != "" || steps[0].Action != "revoke-token" {
				t.Fatalf("plan %+v", steps)
			}
			out, err := rv.Apply(context.Background(), tg, steps[0])
			if out != tc.want {
				t.Errorf("outcome %s (%v), want %s", out, err, tc.want)
			}
			var re *RetryableError
			if errors.As(err, &re) != tc.retry {
				t.Errorf("retryable = %v, want %v (%v)", !tc.retry, tc.retry, err)
			}
			if tc.status == 429 && (re == nil || re.RetryAfter != 9*time.Second) {
				t.Errorf("Retry-After not honoured: %+v", re)
			}
			if tc.errText != "" && (err == nil || !strings.Contains(err.Error(), tc.errText)) {
				t.Errorf("error %v, want it to mention %s", err, tc.errText)
			}
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			tokenNotIn(t, tok, append(stepTexts(steps), errText)...)
			req := srv.reqs[0]
			if req.Method != "POST" || req.URL.Path != "/credentials/revoke" {
				t.Errorf("request %s %s", req.Method, req.URL.Path)
			}
			if req.Header.Get("Authorization") != "" {
				t.Error("credentials/revoke must be called unauthenticated")
			}
			var body struct{ Credentials []string }
			if err := json.Unmarshal([]byte(srv.bodies[0]), &body); err != nil || len(body.Credentials) != 1 || body.Credentials[0] != tok {
				t.Errorf("body %s", srv.bodies[0])
			}
		})
	}
}

func TestGitHubInstallationToken(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 2))
	tok := fakeToken(r, "ghs_")
	status := http.StatusNoContent
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ string) { w.WriteHeader(status) })
	rv := NewGitHubRevoker(GitHubOptions{BaseURL: srv.URL + "/api/v3"})
	tg := target("github-server-to-server-token", tok)
	steps := rv.Plan(context.Background(), tg)
	if steps[0].Action != "revoke-installation-token" || !strings.Contains(steps[0].Credentials, "leaked") {
		t.Fatalf("plan %+v", steps[0])
	}
	if out, err := rv.Apply(context.Background(), tg, steps[0]); out != Done || err != nil {
		t.Errorf("apply: %s %v", out, err)
	}
	req := srv.reqs[0]
	if req.Method != "DELETE" || req.URL.Path != "/api/v3/installation/token" || req.Header.Get("Authorization") != "Bearer "+tok {
		t.Errorf("request %s %s auth %q", req.Method, req.URL.Path, req.Header.Get("Authorization"))
	}
	status = http.StatusUnauthorized // revoked already
	if out, _ := rv.Apply(context.Background(), tg, steps[0]); out != Already {
		t.Errorf("second apply: %s, want already", out)
	}
}

func TestRedactedReportCannotRevoke(t *testing.T) {
	t.Parallel()
	tg := target("github-pat", "")
	tg.Secret = leak.Secret{}
	for _, rv := range []Revoker{NewGitHubRevoker(GitHubOptions{}), NewGitLabRevoker(GitLabOptions{}), NewSlackRevoker(SlackOptions{})} {
		tg.Rule = map[string]string{"github": "github-pat", "gitlab": "gitlab-pat", "slack": "slack-bot-token"}[rv.Provider()]
		steps := rv.Plan(context.Background(), tg)
		if len(steps) != 1 || !strings.Contains(steps[0].Problem, "--no-redact") {
			t.Errorf("%s: plan for a redacted secret: %+v", rv.Provider(), steps)
		}
		if out, err := rv.Apply(context.Background(), tg, steps[0]); out != Failed || err == nil {
			t.Errorf("%s: apply of an impossible step: %s %v", rv.Provider(), out, err)
		}
	}
}

func TestGitLabRevoker(t *testing.T) {
	t.Parallel()
	tok := "glpat-" + "Zx3Kq9Lm2Np7Rs5Tv8Wy"
	for _, tc := range []struct {
		status int
		want   Outcome
		retry  bool
	}{{204, Done, false}, {401, Already, false}, {403, Failed, false}, {503, Failed, true}, {418, Failed, false}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ string) { w.WriteHeader(tc.status) })
			rv := NewGitLabRevoker(GitLabOptions{BaseURL: srv.URL + "/api/v4/"})
			tg := target("gitlab-pat", tok)
			steps := rv.Plan(context.Background(), tg)
			out, err := rv.Apply(context.Background(), tg, steps[0])
			var re *RetryableError
			if out != tc.want || errors.As(err, &re) != tc.retry {
				t.Errorf("outcome %s, err %v; want %s, retry %v", out, err, tc.want, tc.retry)
			}
			req := srv.reqs[0]
			if req.Method != "DELETE" || req.URL.Path != "/api/v4/personal_access_tokens/self" || req.Header.Get("PRIVATE-TOKEN") != tok {
				t.Errorf("request %s %s", req.Method, req.URL.Path)
			}
			if err != nil {
				tokenNotIn(t, tok, err.Error())
			}
		})
	}
	// Nothing listening: a retryable failure that does not quote the token.
	rv := NewGitLabRevoker(GitLabOptions{BaseURL: "http://127.0.0.1:1/api/v4"})
	tg := target("gitlab-pat", tok)
	out, err := rv.Apply(context.Background(), tg, rv.Plan(context.Background(), tg)[0])
	var re *RetryableError
	if out != Failed || !errors.As(err, &re) {
		t.Errorf("connection refused: %s %v", out, err)
	}
}

func TestSlackRevoker(t *testing.T) {
	t.Parallel()
	tok := "xoxb-" + "2201234567890-2209876543210-Qw3Er5Ty7Ui9Op1As3Df5Gh7"
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   Outcome
		retry  bool
	}{
		{"revoked", 200, `{"ok":true,"revoked":true}`, Done, false},
		{"already", 200, `{"ok":false,"error":"invalid_auth"}`, Already, false},
		{"token_revoked", 200, `{"ok":false,"error":"token_revoked"}`, Already, false},
		{"other error", 200, `{"ok":false,"error":"not_bearer_token"}`, Failed, false},
		{"rate limited", 429, `{"ok":false,"error":"ratelimited"}`, Failed, true},
		{"malformed", 200, `<html>`, Failed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ string) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			rv := NewSlackRevoker(SlackOptions{BaseURL: srv.URL})
			tg := target("slack-bot-token", tok)
			out, err := rv.Apply(context.Background(), tg, rv.Plan(context.Background(), tg)[0])
			var re *RetryableError
			if out != tc.want || errors.As(err, &re) != tc.retry {
				t.Errorf("outcome %s, err %v; want %s, retry %v", out, err, tc.want, tc.retry)
			}
			req := srv.reqs[0]
			if req.Method != "POST" || req.URL.Path != "/auth.revoke" || req.Header.Get("Authorization") != "Bearer "+tok {
				t.Errorf("request %s %s", req.Method, req.URL.Path)
			}
		})
	}
	hook := target("slack-webhook-url", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
	steps := NewSlackRevoker(SlackOptions{}).Plan(context.Background(), hook)
	if steps[0].Problem == "" || steps[0].Note == "" || steps[0].Action != "remove-webhook" {
		t.Errorf("webhook plan %+v", steps[0])
	}
	tokenNotIn(t, hook.Secret.Reveal(), stepTexts(steps)...)
}
