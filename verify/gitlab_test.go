package verify

import (
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// gitlabTestToken is a random legacy-shaped glpat- token.
func gitlabTestToken() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return "glpat-" + string(b)
}

// gitlabSelf is a GET /personal_access_tokens/self answer (field names
// from gl-docs:api/personal_access_tokens.md).
func gitlabSelf(revoked, active bool) string {
	return `{"id":42,"name":"ci-deploy","revoked":` + boolJSON(revoked) + `,"created_at":"2025-01-02T10:00:00.000Z",
"description":"deploys","scopes":["api","read_repository"],"user_id":7,"last_used_at":"2025-06-01T08:00:00.000Z",
"active":` + boolJSON(active) + `,"expires_at":"2026-01-02"}`
}

func boolJSON(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestGitLab(t *testing.T) {
	t.Parallel()
	tok := gitlabTestToken()
	cases := append([]providerCase{
		{name: "live", reply: answer{body: gitlabSelf(false, true)}, want: leak.Live,
			identity: "GitLab token ci-deploy, scopes api,read_repository, expires 2026-01-02, user 7"},
		{name: "no expiry", reply: answer{body: `{"id":1,"name":"t","revoked":false,"active":true,"scopes":["read_api"],"user_id":3,"expires_at":null}`},
			want: leak.Live, identity: "GitLab token t, scopes read_api, no expiry, user 3"},
		{name: "revoked", reply: answer{body: gitlabSelf(true, false)}, want: leak.Dead, reason: "revoked"},
		{name: "expired", reply: answer{body: gitlabSelf(false, false)}, want: leak.Dead, reason: "not active"},
		{name: "unauthorized", reply: answer{status: 401, body: `{"message":"401 Unauthorized"}`}, want: leak.Dead, reason: "401"},
		{name: "forbidden", reply: answer{status: 403, body: `{"message":"403 Forbidden"}`}, want: leak.Live},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "not a token", reply: answer{body: `{"message":"ok"}`}, want: leak.Unknown},
		{name: "not found", reply: answer{status: 404, body: `{"error":"404 Not Found"}`}, want: leak.Unknown, reason: "404"},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newGitLab, testFinding("gitlab-pat", tok), nil, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/personal_access_tokens/self" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("PRIVATE-TOKEN") != tok || r.Header.Get("Authorization") != "" || r.URL.RawQuery != "" {
			t.Errorf("token sent as PRIVATE-TOKEN %q, Authorization %q, query %q", r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("Authorization"), r.URL.RawQuery)
		}
	})
}

// TestGitLabEndpoint: in GitLab CI, CI_API_V4_URL points at the instance.
func TestGitLabEndpoint(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{body: gitlabSelf(false, true)} })
	v := newGitLab(&Options{Getenv: func(k string) string {
		if k == "CI_API_V4_URL" {
			return fake.URL + "/api/v4"
		}
		return ""
	}})
	if r := v.Verify(t.Context(), Credential{Rule: "gitlab-pat", Secret: leak.NewSecret(gitlabTestToken())}); r.Status != leak.Live {
		t.Errorf("%+v", r)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if got := fake.requests[0].URL.Path; got != "/api/v4/personal_access_tokens/self" {
		t.Errorf("path %q", got)
	}
}
