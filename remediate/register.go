package remediate

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// The GitHub, GitLab and Slack revokers and the GitHub-issues ticketer,
// made known to the pipeline under the names [remediate] providers and
// [remediate.ticket] provider use.
func init() {
	RegisterRevoker("github", func(c *Config) (Revoker, error) {
		return NewGitHubRevoker(GitHubOptions{
			BaseURL:    c.Endpoint("github", "https://api.github.com", "GITHUB_API_URL"),
			HTTPClient: timeoutClient(c),
		}), nil
	})
	RegisterRevoker("gitlab", func(c *Config) (Revoker, error) {
		return NewGitLabRevoker(GitLabOptions{
			BaseURL:    c.Endpoint("gitlab", "https://gitlab.com/api/v4", "CI_API_V4_URL"),
			HTTPClient: timeoutClient(c),
		}), nil
	})
	RegisterRevoker("slack", func(c *Config) (Revoker, error) {
		return NewSlackRevoker(SlackOptions{BaseURL: c.Endpoint("slack", "https://slack.com/api"), HTTPClient: timeoutClient(c)}), nil
	})
	RegisterTicketer("github", func(c *Config) (Ticketer, error) {
		base := c.Ticket.BaseURL
		if base == "" {
			base = c.Endpoint("github", "https://api.github.com", "GITHUB_API_URL")
		}
		o := TicketOptions{
			Repo: c.Ticket.Repo, Token: c.Env("GITHUB_TOKEN"), BaseURL: base, HTTPClient: timeoutClient(c),
			Labels: c.Ticket.Labels, Assignees: c.Ticket.Assignees,
		}
		if c.Ticket.Codeowners {
			text, err := readCodeowners(c.SourceRoot)
			if err != nil {
				return nil, err
			}
			o.Codeowners = text
		}
		return NewGitHubTicketer(o)
	})
}

// timeoutClient is the HTTP client of the token revokers and the
// ticketer: the configured one, or one bounded by the per-call timeout.
func timeoutClient(c *Config) *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	t := c.Timeout.Duration
	if t <= 0 {
		t = DefaultTimeout
	}
	return &http.Client{Timeout: t}
}

// readCodeowners reads the CODEOWNERS file of the scanned repository at
// root, where GitHub looks for it: .github/, the root, docs/.
func readCodeowners(root string) (string, error) {
	if root == "" {
		root = "."
	}
	for _, p := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err == nil {
			return string(data), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("ticket: codeowners: %w", err)
		}
	}
	return "", fmt.Errorf("ticket: codeowners = true, but there is no CODEOWNERS file under %s (.github/, the root or docs/; set --source-root)", root)
}
