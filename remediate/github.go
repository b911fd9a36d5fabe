package remediate

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

// GitHubOptions configure the GitHub revoker.
type GitHubOptions struct {
	// BaseURL is the REST API root: https://api.github.com (the default),
	// or https://HOST/api/v3 for GitHub Enterprise Server (GITHUB_API_URL).
	BaseURL    string
	HTTPClient *http.Client
}

// GitHubRevoker revokes leaked GitHub tokens. Personal access tokens
// (classic and fine-grained), OAuth, user-to-server and refresh tokens go
// to the credential revocation API, POST /credentials/revoke, sent
// unauthenticated as GitHub asks (PROVIDERS.md §4.2; authenticated requests
// get 403 on GitHub.com; GitHub Enterprise Server's behaviour is
// UNCONFIRMED). GitHub answers 202 and emails the token's owner; a revoked
// token cannot be reactivated. Installation tokens (ghs_) are not accepted
// there: they revoke themselves with DELETE /installation/token, called
// with the leaked token.
type GitHubRevoker struct {
	base string
	hc   *http.Client
}

var _ Revoker = (*GitHubRevoker)(nil)

// githubRevocable are the rules whose tokens the credential revocation API
// takes; githubInstallation is the installation-token rule.
var githubRevocable = map[string]bool{
	"github-pat": true, "github-fine-grained-pat": true, "github-oauth-token": true,
	"github-user-to-server-token": true, "github-refresh-token": true,
}

const githubInstallation = "github-server-to-server-token"

// NewGitHubRevoker returns a GitHub revoker.
func NewGitHubRevoker(o GitHubOptions) *GitHubRevoker {
	base, hc := revokerDefaults(o.BaseURL, "https://api.github.com", o.HTTPClient)
	return &GitHubRevoker{base: base, hc: hc}
}

// Provider implements Revoker.
func (*GitHubRevoker) Provider() string { return "github" }

// Handles implements Revoker.
func (*GitHubRevoker) Handles(rule string) bool {
	return githubRevocable[rule] || rule == githubInstallation
}

// Plan implements Revoker.
func (g *GitHubRevoker) Plan(_ context.Context, t *Target) []Step {
	s := Step{
		ID:          makeStepID(t, "github", "revoke-token"),
		Fingerprint: t.Fingerprint,
		Provider:    "github",
		Action:      "revoke-token",
		Target:      fmt.Sprintf("GitHub token %s", t.Secret.Redacted()),
		Where:       g.base + "/credentials/revoke",
		Credentials: "none (the credential revocation API is called unauthenticated)",
	}
	if t.Identity != "" {
		s.Target += " (" + t.Identity + ")"
	}
	if t.Rule == githubInstallation {
		s.Action = "revoke-installation-token"
		s.ID = makeStepID(t, "github", s.Action)
		s.Where = g.base + "/installation/token"
		s.Credentials = "the leaked installation token itself"
	}
	if t.Secret.IsZero() {
		s.Problem = tokenRedactedProblem
	}
	return []Step{s}
}

// tokenRedactedProblem is the Problem of a step that needs the secret when the
// report has none.
const tokenRedactedProblem = "the report is redacted, so the token is not known; re-run the scan with --no-redact (and keep the report private), or use leakgate scan --verify --remediate"

// Apply implements Revoker.
func (g *GitHubRevoker) Apply(ctx context.Context, t *Target, s Step) (Outcome, error) {
	if s.Problem != "" {
		return Failed, errors.New(s.Problem)
	}
	client, err := githubClient(g.hc, g.base)
	if err != nil {
		return Failed, err
	}
	tok := t.Secret.Reveal()
	if s.Action == "revoke-installation-token" {
		resp, err := client.WithAuthToken(tok).Apps.RevokeInstallationToken(ctx)
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return Already, nil // expired or already revoked: it no longer authenticates
		}
		if err != nil {
			return Failed, githubError("revoke installation token", err)
		}
		return Done, nil
	}
	req, err := client.NewRequest(http.MethodPost, "credentials/revoke", map[string][]string{"credentials": {tok}})
	if err != nil {
		return Failed, fmt.Errorf("github: build request: %w", err)
	}
	_, err = client.Do(ctx, req, nil)
	var accepted *github.AcceptedError
	switch {
	case err == nil, errors.As(err, &accepted):
		return Done, nil // 202: GitHub revokes the token and tells its owner
	}
	return Failed, githubError("credential revocation", err)
}

// githubClient returns a go-github client for the REST API root base.
func githubClient(hc *http.Client, base string) (*github.Client, error) {
	c := github.NewClient(hc)
	u, err := url.Parse(strings.TrimRight(base, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("github: base URL %q: %w", base, err)
	}
	c.BaseURL = u
	return c, nil
}

// githubError describes a GitHub API failure without quoting the request
// (whose body can hold a token), and marks rate limits and server errors
// retryable.
func githubError(what string, err error) error {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return &RetryableError{Err: fmt.Errorf("github: %s: rate limited until %s", what, rl.Rate.Reset.Format(time.RFC3339)),
			RetryAfter: time.Until(rl.Rate.Reset.Time)}
	case errors.As(err, &abuse):
		return &RetryableError{Err: fmt.Errorf("github: %s: secondary rate limit", what), RetryAfter: abuse.GetRetryAfter()}
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		msg := fmt.Sprintf("github: %s: HTTP %d: %s", what, code, er.Message)
		switch {
		case code == http.StatusTooManyRequests || code >= 500:
			return &RetryableError{Err: errors.New(msg), RetryAfter: httpRetryAfter(er.Response.Header)}
		case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound:
			return fmt.Errorf("%s (permission denied: check the token and its permissions)", msg)
		case code == http.StatusGone:
			return fmt.Errorf("%s (issues are disabled in this repository)", msg)
		}
		return errors.New(msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error quotes the URL; ours hold no token, but keep only the cause.
		return &RetryableError{Err: fmt.Errorf("github: %s: %v", what, ue.Err)}
	}
	return fmt.Errorf("github: %s: %w", what, err)
}

// httpRetryAfter reads Retry-After as seconds.
func httpRetryAfter(h http.Header) time.Duration {
	var secs int
	if _, err := fmt.Sscanf(h.Get("Retry-After"), "%d", &secs); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}

// stepID is a step's stable id: the fingerprint's first 16 hex digits,
// the provider and the action.
func makeStepID(t *Target, provider, action string) string {
	fp := t.Fingerprint
	if len(fp) > 16 {
		fp = fp[:16]
	}
	return fp + "/" + provider + "/" + action
}
