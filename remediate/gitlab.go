package remediate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// GitLabOptions configure the GitLab revoker.
type GitLabOptions struct {
	// BaseURL is the REST API root: https://gitlab.com/api/v4 (the
	// default), or a self-managed instance's (CI_API_V4_URL).
	BaseURL    string
	HTTPClient *http.Client
}

// GitLabRevoker revokes leaked GitLab personal, project and group access
// tokens with the token itself: DELETE /personal_access_tokens/self
// (GitLab 15.4+, any scope; PROVIDERS.md §5). 204 is revoked; 401 means the
// token no longer authenticates (already revoked or expired).
type GitLabRevoker struct {
	base string
	hc   *http.Client
}

var _ Revoker = (*GitLabRevoker)(nil)

// NewGitLabRevoker returns a GitLab revoker.
func NewGitLabRevoker(o GitLabOptions) *GitLabRevoker {
	base, hc := revokerDefaults(o.BaseURL, "https://gitlab.com/api/v4", o.HTTPClient)
	return &GitLabRevoker{base: base, hc: hc}
}

// Provider implements Revoker.
func (*GitLabRevoker) Provider() string { return "gitlab" }

// Handles implements Revoker: glpat- tokens (personal, project and group
// access tokens share the prefix).
func (*GitLabRevoker) Handles(rule string) bool { return rule == "gitlab-pat" }

// Plan implements Revoker.
func (g *GitLabRevoker) Plan(_ context.Context, t *Target) []Step {
	s := Step{
		ID:          makeStepID(t, "gitlab", "revoke-token"),
		Fingerprint: t.Fingerprint,
		Provider:    "gitlab",
		Action:      "revoke-token",
		Target:      "GitLab access token " + t.Secret.Redacted(),
		Where:       g.base + "/personal_access_tokens/self",
		Credentials: "the leaked token itself",
	}
	if t.Identity != "" {
		s.Target += " (" + t.Identity + ")"
	}
	if t.Secret.IsZero() {
		s.Problem = tokenRedactedProblem
	}
	return []Step{s}
}

// Apply implements Revoker.
func (g *GitLabRevoker) Apply(ctx context.Context, t *Target, s Step) (Outcome, error) {
	if s.Problem != "" {
		return Failed, errors.New(s.Problem)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, g.base+"/personal_access_tokens/self", nil)
	if err != nil {
		return Failed, fmt.Errorf("gitlab: build request: %w", err)
	}
	req.Header.Set("PRIVATE-TOKEN", t.Secret.Reveal())
	resp, err := g.hc.Do(req)
	if err != nil {
		return Failed, transportError("gitlab", err)
	}
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusNoContent || code == http.StatusOK:
		return Done, nil
	case code == http.StatusUnauthorized:
		return Already, nil
	case code == http.StatusForbidden:
		return Failed, errors.New("gitlab: revoke: HTTP 403: the token may not revoke itself (GitLab before 15.4 needs the api scope); an administrator can revoke it by id")
	case code == http.StatusTooManyRequests || code >= 500:
		return Failed, &RetryableError{Err: fmt.Errorf("gitlab: revoke: HTTP %d", code), RetryAfter: httpRetryAfter(resp.Header)}
	default:
		return Failed, fmt.Errorf("gitlab: revoke: unexpected HTTP %d", code)
	}
}

// transportError describes a network failure without the request URL and
// marks it retryable unless the context is done.
func transportError(provider string, err error) error {
	msg := err.Error()
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		msg = ue.Unwrap().Error()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s", provider, msg)
	}
	return &RetryableError{Err: fmt.Errorf("%s: %s", provider, msg)}
}

// revokerDefaults fills in a revoker's base URL (without a trailing slash)
// and HTTP client.
func revokerDefaults(base, def string, hc *http.Client) (string, *http.Client) {
	if base == "" {
		base = def
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return strings.TrimRight(base, "/"), hc
}
