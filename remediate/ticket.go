package remediate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// TicketOptions configure the GitHub issues ticketer.
type TicketOptions struct {
	// Repo is "owner/repo", where rotation issues are opened.
	Repo string
	// Token authenticates (GITHUB_TOKEN): it needs Issues: write on Repo.
	Token string
	// BaseURL is the REST API root: https://api.github.com (the default),
	// or https://HOST/api/v3 for GitHub Enterprise Server.
	BaseURL    string
	HTTPClient *http.Client
	// Labels are added to every issue; "leakgate" always is, because the
	// ticketer finds its earlier issues by it.
	Labels []string
	// Assignees are assigned to every issue.
	Assignees []string
	// Codeowners, when set, is the text of a CODEOWNERS file: the owners
	// (users only; teams cannot be assignees) of the first location's path
	// are assigned too.
	Codeowners string
}

// TicketLabel marks every issue leakgate opens.
const TicketLabel = "leakgate"

// GitHubTicketer opens one rotation issue per leaked secret, and never a
// second: each issue body holds a hidden marker with the secret's
// fingerprint, and a later run finds the issue by it (listing the
// repository's issues labelled "leakgate", open or closed) and updates it.
// Issue titles and bodies never hold the secret, only its redacted form.
type GitHubTicketer struct {
	o            TicketOptions
	owner, repo  string
	client       *github.Client
	existingByFP map[string]*github.Issue
}

var _ Ticketer = (*GitHubTicketer)(nil)

// NewGitHubTicketer returns a ticketer for o.Repo.
func NewGitHubTicketer(o TicketOptions) (*GitHubTicketer, error) {
	owner, repo, ok := strings.Cut(o.Repo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("ticket repository %q: want owner/repo", o.Repo)
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://api.github.com"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if !slices.Contains(o.Labels, TicketLabel) {
		o.Labels = append([]string{TicketLabel}, o.Labels...)
	}
	c, err := githubClient(o.HTTPClient, o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.Token != "" {
		c = c.WithAuthToken(o.Token)
	}
	return &GitHubTicketer{o: o, owner: owner, repo: repo, client: c}, nil
}

// Provider implements Ticketer.
func (*GitHubTicketer) Provider() string { return "github-issues" }

// Plan implements Ticketer.
func (g *GitHubTicketer) Plan(_ context.Context, t *Target) Step {
	s := Step{
		ID:          makeStepID(t, "github-issues", "open-ticket"),
		Fingerprint: t.Fingerprint,
		Provider:    "github-issues",
		Action:      "open-ticket",
		Target:      fmt.Sprintf("rotation issue in %s: %q", g.o.Repo, ticketTitle(t)),
		Where:       strings.TrimRight(g.o.BaseURL, "/") + "/repos/" + g.o.Repo + "/issues",
		Credentials: "GITHUB_TOKEN",
	}
	if a := g.assignees(t); len(a) > 0 {
		s.Target += ", assigned to " + strings.Join(a, ", ")
	}
	if g.o.Token == "" {
		s.Problem = "no GitHub token for tickets: set GITHUB_TOKEN (it needs Issues: write on " + g.o.Repo + ")"
	}
	return s
}

// Apply implements Ticketer: it opens the issue, or updates the one an
// earlier run opened.
func (g *GitHubTicketer) Apply(ctx context.Context, t *Target, s Step, revocations []StepResult) (string, Outcome, error) {
	if s.Problem != "" {
		return "", Failed, errors.New(s.Problem)
	}
	existing, err := g.find(ctx, t.Fingerprint)
	if err != nil {
		return "", Failed, err
	}
	title, body := ticketTitle(t), TicketBody(t, revocations)
	if existing != nil {
		if existing.GetBody() == body && existing.GetTitle() == title {
			return existing.GetHTMLURL(), Already, nil
		}
		is, _, err := g.client.Issues.Edit(ctx, g.owner, g.repo, existing.GetNumber(), &github.IssueRequest{Title: &title, Body: &body})
		if err != nil {
			return existing.GetHTMLURL(), Failed, githubError("update issue", err)
		}
		g.existingByFP[t.Fingerprint] = is
		return is.GetHTMLURL(), Done, nil
	}
	labels, assignees := g.o.Labels, g.assignees(t)
	req := &github.IssueRequest{Title: &title, Body: &body, Labels: &labels}
	if len(assignees) > 0 {
		req.Assignees = &assignees
	}
	is, _, err := g.client.Issues.Create(ctx, g.owner, g.repo, req)
	if err != nil {
		return "", Failed, githubError("open issue", err)
	}
	g.existingByFP[t.Fingerprint] = is
	return is.GetHTMLURL(), Done, nil
}

// ticketMarker is the hidden line that ties an issue to a fingerprint.
func ticketMarker(fp string) string { return "<!-- leakgate:fingerprint=" + fp + " -->" }

var markerRE = regexp.MustCompile(`<!-- leakgate:fingerprint=([0-9a-f]{64}) -->`)

// find returns the issue an earlier run opened for fp, listing the
// repository's leakgate issues once per ticketer.
func (g *GitHubTicketer) find(ctx context.Context, fp string) (*github.Issue, error) {
	if g.existingByFP == nil {
		found := map[string]*github.Issue{}
		opt := &github.IssueListByRepoOptions{State: "all", Labels: []string{TicketLabel}, ListOptions: github.ListOptions{PerPage: 100}}
		for {
			issues, resp, err := g.client.Issues.ListByRepo(ctx, g.owner, g.repo, opt)
			if err != nil {
				return nil, githubError("list issues", err)
			}
			for _, is := range issues {
				if m := markerRE.FindStringSubmatch(is.GetBody()); m != nil {
					if _, dup := found[m[1]]; !dup {
						found[m[1]] = is
					}
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
		g.existingByFP = found
	}
	return g.existingByFP[fp], nil
}

func (g *GitHubTicketer) assignees(t *Target) []string {
	out := slices.Clone(g.o.Assignees)
	if g.o.Codeowners != "" && len(t.Locations) > 0 {
		for _, o := range CodeownersFor(g.o.Codeowners, t.Locations[0].Path) {
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

func ticketTitle(t *Target) string {
	what := t.Description
	if what == "" {
		what = t.Rule
	}
	fp := t.Fingerprint
	if len(fp) > 12 {
		fp = fp[:12]
	}
	return fmt.Sprintf("Rotate leaked %s (%s) %s", what, t.Rule, fp)
}

// TicketBody is the rotation issue's text: what leaked (redacted), where,
// what verification said, what was revoked and when, and the rotation
// checklist. It never holds the secret, and the same inputs give the same
// text, so a re-run that changes nothing leaves the issue alone.
func TicketBody(t *Target, revocations []StepResult) string {
	var b strings.Builder
	cell := func(s string) string {
		s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "`", "'").Replace(s)
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(&b, "%s\n\n", ticketMarker(t.Fingerprint))
	fmt.Fprintf(&b, "A secret leaked and must be rotated. This issue was opened by leakgate and is updated when it runs again.\n\n")
	fmt.Fprintf(&b, "## What leaked\n\n")
	fmt.Fprintf(&b, "- **Secret:** `%s` (redacted)\n", t.Secret.Redacted())
	fmt.Fprintf(&b, "- **Rule:** `%s`%s\n", t.Rule, ticketIf(t.Description, " — "+t.Description))
	fmt.Fprintf(&b, "- **Fingerprint:** `%s`\n", t.Fingerprint)
	status := string(t.Status)
	if status == "" {
		status = "unchecked"
	}
	fmt.Fprintf(&b, "- **Verification:** %s%s%s\n", status, ticketIf(t.Identity, " — "+cell(t.Identity)),
		ticketIf(ticketTime(t.CheckedAt), " (checked "+ticketTime(t.CheckedAt)+")"))
	fmt.Fprintf(&b, "\n## Where it was found\n\n| repository | commit | file | line | author |\n|---|---|---|---|---|\n")
	const maxRows = 100
	for i, l := range t.Locations {
		if i == maxRows {
			fmt.Fprintf(&b, "\n…and %d more places (see the scan report).\n", len(t.Locations)-maxRows)
			break
		}
		author := l.Author
		if l.Email != "" {
			author += " <" + l.Email + ">"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", cell(l.Repo), cell(l.Commit), cell(l.Path), l.Line, cell(strings.TrimSpace(author)))
	}
	fmt.Fprintf(&b, "\n## What leakgate did\n\n")
	if len(revocations) == 0 {
		fmt.Fprintf(&b, "Nothing was revoked automatically: revoke the secret at its provider now.\n")
	}
	for _, r := range revocations {
		line := fmt.Sprintf("- %s %s on %s: **%s**", r.Step.Action, cell(r.Step.Target), r.Step.Provider, r.Outcome)
		if !r.At.IsZero() {
			line += " at " + ticketTime(r.At)
		}
		if r.Error != "" {
			line += " — " + cell(r.Error)
		}
		if r.Step.Note != "" {
			line += " (" + cell(r.Step.Note) + ")"
		}
		fmt.Fprintln(&b, line)
	}
	fmt.Fprintf(&b, "\n## Rotation checklist (zero downtime)\n\n")
	for _, s := range []string{
		"Create a new secret and add it beside the old one (both valid).",
		"Deploy every reader of the secret with the new one.",
		"Verify that all instances use the new secret (provider logs, last-used dates).",
		"Invalidate the old secret (if leakgate has not already).",
		"Remove the old secret from the secret store, CI variables and config.",
	} {
		fmt.Fprintf(&b, "- [ ] %s\n", s)
	}
	if steps := providerSteps(t.Rule); len(steps) > 0 {
		fmt.Fprintf(&b, "\n### %s\n\n", steps[0])
		for _, s := range steps[1:] {
			fmt.Fprintf(&b, "- [ ] %s\n", s)
		}
	}
	fmt.Fprintf(&b, "\nThe leaked value stays in git history: rewriting history does not make it safe again; rotation does.\n")
	return b.String()
}

func ticketIf(cond, s string) string {
	if cond == "" {
		return ""
	}
	return s
}

func ticketTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// providerSteps returns a heading and the provider-specific rotation
// steps for a rule.
func providerSteps(rule string) []string {
	switch {
	case strings.HasPrefix(rule, "aws-"):
		return []string{"AWS",
			"Create a new access key for the IAM user (aws iam create-access-key), or move the workload to a role.",
			"Update every consumer, then check the old key's last use (aws iam get-access-key-last-used).",
			"Delete the deactivated key once nothing uses it (aws iam delete-access-key).",
			"Review CloudTrail for what the leaked key did while it was exposed."}
	case strings.HasPrefix(rule, "github-"):
		return []string{"GitHub",
			"Create a new fine-grained token with the least permissions and shortest expiry that work.",
			"Review the account's security log for use of the leaked token."}
	case strings.HasPrefix(rule, "gitlab-"):
		return []string{"GitLab",
			"Create a new access token with the least scopes and an expiry.",
			"Review the token's last-used time and the audit events."}
	case strings.HasPrefix(rule, "slack-"):
		return []string{"Slack",
			"Regenerate the token (reinstall the app or rotate it in the app's settings).",
			"Review the workspace access logs."}
	case strings.HasPrefix(rule, "vault-"):
		return []string{"Vault",
			"Issue a new token or lease with the same policies and the shortest TTL that works.",
			"Search the Vault audit log for the leaked token's accessor."}
	}
	return nil
}

// CodeownersFor returns the users (without "@") that a CODEOWNERS text
// assigns to path: the last matching line wins, as on GitHub; team owners
// (@org/team) and e-mail owners are left out, because issues cannot be
// assigned to them.
func CodeownersFor(codeowners, file string) []string {
	var owners []string
	for _, line := range strings.Split(codeowners, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || !codeownersMatch(fields[0], file) {
			continue
		}
		owners = owners[:0]
		for _, o := range fields[1:] {
			if strings.HasPrefix(o, "@") && !strings.Contains(o, "/") {
				owners = append(owners, o[1:])
			}
		}
	}
	return owners
}

// codeownersMatch reports whether a CODEOWNERS pattern (gitignore style)
// matches file, a slash-separated path relative to the repository root.
func codeownersMatch(pattern, file string) bool {
	file = strings.TrimPrefix(file, "/")
	anchored := strings.HasPrefix(pattern, "/") || strings.Contains(strings.TrimSuffix(pattern, "/"), "/")
	pattern = strings.TrimPrefix(pattern, "/")
	if strings.HasSuffix(pattern, "/") {
		pattern += "**"
	}
	var parts []string
	if anchored {
		parts = []string{file}
	} else {
		// An unanchored pattern matches at any depth: try every suffix.
		segs := strings.Split(file, "/")
		for i := range segs {
			parts = append(parts, strings.Join(segs[i:], "/"))
		}
	}
	for _, p := range parts {
		if globMatch(pattern, p) {
			return true
		}
	}
	return false
}

// globMatch matches a gitignore-style glob: "**" spans directories, "*"
// and "?" do not; a pattern naming a directory matches what is under it.
func globMatch(pattern, name string) bool {
	if pattern == "**" || pattern == "*" && !strings.Contains(name, "/") {
		return true
	}
	if strings.HasPrefix(pattern, "**/") {
		rest := pattern[3:]
		segs := strings.Split(name, "/")
		for i := range segs {
			if globMatch(rest, strings.Join(segs[i:], "/")) {
				return true
			}
		}
		return false
	}
	if i := strings.Index(pattern, "/**"); i >= 0 {
		prefix, rest := pattern[:i], strings.TrimPrefix(pattern[i+3:], "/")
		segs := strings.Split(name, "/")
		for j := 1; j <= len(segs); j++ {
			if ok, _ := path.Match(prefix, strings.Join(segs[:j], "/")); ok {
				if rest == "" && j < len(segs) {
					return true
				}
				if rest != "" && globMatch("**/"+rest, strings.Join(segs[j:], "/")) {
					return true
				}
			}
		}
		return false
	}
	if ok, _ := path.Match(pattern, name); ok {
		return true
	}
	// "docs" names a directory too: it owns what is under it.
	segs := strings.Split(name, "/")
	for j := 1; j < len(segs); j++ {
		if ok, _ := path.Match(pattern, strings.Join(segs[:j], "/")); ok {
			return true
		}
	}
	return false
}
