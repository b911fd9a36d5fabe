package verify

import (
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// githubTestToken builds a random classic token with a valid checksum
// (PROVIDERS.md §1.1), so it looks real to every check but GitHub's.
func githubTestToken(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	body := make([]byte, 30)
	for i := range body {
		body[i] = alphabet[rand.IntN(len(alphabet))]
	}
	sum := crc32.ChecksumIEEE(body)
	var check [6]byte
	for i := 5; i >= 0; i-- {
		check[i] = alphabet[sum%62]
		sum /= 62
	}
	return prefix + string(body) + string(check[:])
}

// githubUserJSON is the start of a real GET /user answer.
const githubUserJSON = `{"login":"octocat","id":1,"node_id":"MDQ6VXNlcjE=","type":"User","site_admin":false,
"name":"The Octocat","company":"@github","html_url":"https://github.com/octocat","email":null,"location":"San Francisco"}`

func githubRequestCheck(tok string) func(t *testing.T, r *http.Request, _ string) {
	return func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/user" {
			t.Errorf("request %s %s, want GET /user", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		if r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" || r.Header.Get("Accept") != "application/vnd.github.v3+json" {
			t.Errorf("Accept %q, X-GitHub-Api-Version %q", r.Header.Get("Accept"), r.Header.Get("X-GitHub-Api-Version"))
		}
	}
}

func TestGitHub(t *testing.T) {
	t.Parallel()
	reset := strconv.FormatInt(time.Now().Add(20*time.Second).Unix(), 10)
	tok := githubTestToken("ghp_")
	cases := append([]providerCase{
		{name: "live classic", reply: answer{header: map[string]string{"X-OAuth-Scopes": "repo, read:org",
			"GitHub-Authentication-Token-Expiration": "2031-10-07 19:07:53 UTC"}, body: githubUserJSON},
			want: leak.Live, identity: "GitHub user octocat, scopes: repo, read:org, expires 2031-10-07T19:07:53Z"},
		{name: "live no scopes", reply: answer{header: map[string]string{"X-OAuth-Scopes": ""}, body: githubUserJSON},
			want: leak.Live, identity: "GitHub user octocat, scopes: none"},
		{name: "bad credentials", reply: answer{status: 401, body: `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`},
			want: leak.Dead, reason: "401"},
		{name: "primary rate limit", reply: answer{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": reset},
			body: `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`},
			want: leak.Unknown, reason: "rate limited"},
		{name: "secondary rate limit", reply: answer{status: 403, header: map[string]string{"Retry-After": "1"},
			body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`},
			want: leak.Unknown, reason: "secondary rate limit"},
		{name: "other 403", reply: answer{status: 403, body: `{"message":"Forbidden"}`}, want: leak.Unknown, reason: "403"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown, reason: "unreadable"},
		{name: "no login", reply: answer{body: `{}`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newGitHub, testFinding("github-pat", tok), nil, cases, githubRequestCheck(tok))
}

func TestGitHubTokenKinds(t *testing.T) {
	t.Parallel()
	ghs := githubTestToken("ghs_")
	runProviderCases(t, newGitHub, testFinding("github-server-to-server-token", ghs), nil, []providerCase{
		{name: "installation token", reply: answer{status: 403, body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/users/users#get-the-authenticated-user","status":"403"}`},
			want: leak.Live, identity: "installation token"},
	}, githubRequestCheck(ghs))

	fine := "github_pat_" + githubTestToken("")[:22] + "_" + githubTestToken("")[:30] + githubTestToken("")[:29]
	runProviderCases(t, newGitHub, testFinding("github-fine-grained-pat", fine), nil, []providerCase{
		{name: "fine-grained", reply: answer{body: githubUserJSON}, want: leak.Live, identity: "GitHub user octocat, fine-grained token"},
	}, githubRequestCheck(fine))

	ghu := githubTestToken("ghu_")
	runProviderCases(t, newGitHub, testFinding("github-user-to-server-token", ghu), nil, []providerCase{
		{name: "app user", reply: answer{body: githubUserJSON}, want: leak.Live, identity: "GitHub App user token"},
		{name: "expired", reply: answer{status: 401, body: `{"message":"Bad credentials"}`}, want: leak.Dead},
	}, githubRequestCheck(ghu))
}

func TestGitHubRefreshTokenNotChecked(t *testing.T) {
	t.Parallel()
	if v := NewRegistryOf(newGitHub(&Options{})).For("github-refresh-token"); v != nil {
		t.Errorf("refresh tokens cannot be checked read-only, yet %s claims them", v.Provider())
	}
}

// TestGitHubEndpoint: GHES through GITHUB_API_URL keeps its /api/v3 path.
func TestGitHubEndpoint(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{body: githubUserJSON} })
	v := newGitHub(&Options{Getenv: func(k string) string {
		if k == "GITHUB_API_URL" {
			return fake.URL + "/api/v3"
		}
		return ""
	}})
	if r := v.Verify(t.Context(), Credential{Rule: "github-pat", Secret: leak.NewSecret(githubTestToken("ghp_"))}); r.Status != leak.Live {
		t.Errorf("%+v", r)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if got := fake.requests[0].URL.Path; got != "/api/v3/user" {
		t.Errorf("path %q, want /api/v3/user", got)
	}
}
