package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

func init() { register("github", newGitHub) }

// githubVerifier asks the GitHub REST API who a token belongs to:
// GET /user with Authorization: Bearer, through go-github v60
// (PROVIDERS.md §4.1). It reads, and changes nothing.
//
//   - 200 with a login is live: "GitHub user <login>", then the classic
//     scopes from X-OAuth-Scopes ("no scopes" when the header is empty),
//     or, when the header is absent, the kind of token (fine-grained, App
//     user, installation); and the expiry from
//     GitHub-Authentication-Token-Expiration when GitHub sends it.
//   - 401 is dead (the body text "Bad credentials" is UNCONFIRMED and not
//     relied on: the status decides).
//   - 403 "Resource not accessible by integration" is live: an App
//     installation token (ghs_) cannot read /user but authenticated.
//   - 403 or 429 with X-RateLimit-Remaining: 0 (go-github's
//     *RateLimitError), a secondary rate limit (*AbuseRateLimitError), any
//     429 and any 5xx are unknown, retried after the reset time or
//     Retry-After. Any other answer is unknown.
//
// Refresh tokens (ghr_, rule github-refresh-token) are not checked: they
// are not bearer tokens, and the only use of one, the OAuth token
// exchange, needs the App's client secret and rotates the refresh token,
// which is not read-only. They stay unchecked.
//
// The base URL is [verify.endpoints] github, else GITHUB_API_URL (set by
// GitHub Actions, https://HOST/api/v3 on GHES), else
// https://api.github.com.
type githubVerifier struct {
	client *http.Client
	base   *url.URL
	err    error
}

var _ Verifier = (*githubVerifier)(nil)

func newGitHub(o *Options) Verifier {
	base, err := url.Parse(o.Endpoint("github", "https://api.github.com", "GITHUB_API_URL") + "/")
	return &githubVerifier{client: o.HTTPClient(), base: base, err: err}
}

func (*githubVerifier) Provider() string { return "github" }

func (*githubVerifier) Rules() []string {
	return []string{
		"github-pat",
		"github-oauth-token",
		"github-user-to-server-token",
		"github-server-to-server-token",
		"github-fine-grained-pat",
		"github-legacy-token",
	}
}

// githubKinds names the token kinds that GitHub sends no X-OAuth-Scopes
// header for.
var githubKinds = map[string]string{
	"github-fine-grained-pat":       "fine-grained token",
	"github-user-to-server-token":   "GitHub App user token",
	"github-server-to-server-token": "GitHub App installation token",
}

func (v *githubVerifier) Verify(ctx context.Context, c Credential) Result {
	if v.err != nil {
		return Unknown("bad GitHub API URL: " + v.err.Error())
	}
	gh := github.NewClient(v.client).WithAuthToken(c.Secret.Reveal())
	gh.BaseURL = v.base
	gh.UserAgent = "leakgate-verify"
	user, resp, err := gh.Users.Get(ctx, "")
	if err != nil {
		return githubJudge(ctx, resp, err)
	}
	if user.GetLogin() == "" {
		return Unknown("GitHub answered without a login")
	}
	id := "GitHub user " + user.GetLogin()
	if scopes, ok := resp.Header["X-Oauth-Scopes"]; ok {
		s := strings.TrimSpace(strings.Join(scopes, ","))
		if s == "" {
			s = "none"
		}
		id += ", scopes: " + s
	} else if kind := githubKinds[c.Rule]; kind != "" {
		id += ", " + kind
	} else {
		id += ", no OAuth scopes header"
	}
	if !resp.TokenExpiration.IsZero() {
		id += ", expires " + resp.TokenExpiration.UTC().Format(time.RFC3339)
	}
	return Live(id)
}

// githubJudge maps a go-github error (and the response, when there was
// one) to a result.
func githubJudge(ctx context.Context, resp *github.Response, err error) Result {
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		r := Unknown(fmt.Sprintf("rate limited (HTTP %d, X-RateLimit-Remaining: 0)", rl.Response.StatusCode))
		r.Retry = true
		if !rl.Rate.Reset.IsZero() {
			r.RetryAfter = max(time.Until(rl.Rate.Reset.Time), 0)
		}
		return r
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		r := Unknown("secondary rate limit (HTTP 403)")
		r.Retry = true
		if abuse.RetryAfter != nil {
			r.RetryAfter = *abuse.RetryAfter
		}
		return r
	}
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		if resp != nil && resp.Response != nil {
			// An answer came but go-github could not decode it.
			return Unknown(fmt.Sprintf("unreadable GitHub answer (HTTP %d)", resp.StatusCode))
		}
		r := Unknown(netReason(ctx, err))
		r.Retry = ctx.Err() == nil && !isTimeout(err)
		return r
	}
	status := er.Response.StatusCode
	switch {
	case status == http.StatusUnauthorized:
		return Dead("GitHub rejected the token (HTTP 401)")
	case status == http.StatusForbidden && strings.Contains(er.Message, "Resource not accessible by integration"):
		return Live("GitHub App installation token (valid; /user is not accessible to it)")
	case status == http.StatusTooManyRequests, status >= 500:
		r := Unknown(fmt.Sprintf("GitHub error (HTTP %d)", status))
		if status == http.StatusTooManyRequests {
			r = Unknown("rate limited (HTTP 429)")
		}
		r.Retry, r.RetryAfter = true, RetryAfter(er.Response.Header, time.Now())
		if r.RetryAfter == 0 && resp != nil && resp.Rate.Remaining == 0 && !resp.Rate.Reset.IsZero() {
			r.RetryAfter = max(time.Until(resp.Rate.Reset.Time), 0)
		}
		return r
	}
	return Unknown(fmt.Sprintf("unexpected answer (HTTP %d)", status))
}
