package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/leakgate/leakgate/leak"
)

// Rejection is what a hook says when it refuses a push or a commit.
type Rejection struct {
	// Action names what was refused: "push", "commit".
	Action string
	// LinePrefix starts every line (GitLab needs "GL-HOOK-ERR: ").
	LinePrefix string
	// Who is the pusher, when the server says (GITHUB_USER_LOGIN, GL_USERNAME).
	Who string
	// Fix is the advice printed after the findings, one line per entry.
	Fix []string
	// NoRedact shows secrets in full.
	NoRedact bool
}

// WriteRejection writes a message a developer can act on: for each
// finding its file, line, rule, commit and redacted secret, then how to
// fix it. Every line starts with r.LinePrefix, and control characters in
// file names are quoted so they cannot drive the pusher's terminal.
func WriteRejection(w io.Writer, findings []leak.Finding, r Rejection) error {
	t := &textWriter{w: w}
	line := func(format string, args ...any) {
		t.printf("%s%s\n", r.LinePrefix, fmt.Sprintf(format, args...))
	}
	who := ""
	if r.Who != "" {
		who = " from " + printable(r.Who)
	}
	noun := "secrets"
	if len(findings) == 1 {
		noun = "secret"
	}
	line("leakgate: %s%s rejected: %d %s found", r.Action, who, len(findings), noun)
	for i := range findings {
		f := &findings[i]
		secret := f.Secret.Redacted()
		if r.NoRedact {
			secret = f.Secret.Reveal()
		}
		line("")
		line("  %s  %s  %s", position(f), printable(f.RuleID), printable(secret))
		if f.Description != "" {
			line("    %s", printable(f.Description))
		}
		if f.Origin.Commit != "" {
			c := "    commit " + printable(f.Origin.Commit)
			if f.Origin.Author != "" {
				c += " by " + printable(f.Origin.Author)
			}
			line("%s", c)
		}
		if f.Status == leak.Live {
			line("    verified LIVE: %s", printable(strings.TrimSpace(f.Identity)))
		}
		line("    fingerprint %s", f.Fingerprint)
	}
	if len(r.Fix) > 0 {
		line("")
		for _, fix := range r.Fix {
			line("%s", fix)
		}
	}
	return t.err
}
