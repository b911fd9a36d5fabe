package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SlackOptions configure the Slack revoker.
type SlackOptions struct {
	// BaseURL is the Web API root (default https://slack.com/api).
	BaseURL    string
	HTTPClient *http.Client
}

// SlackRevoker revokes leaked Slack tokens with the token itself:
// POST auth.revoke (PROVIDERS.md §6). Slack answers HTTP 200 either way:
// {"ok":true,"revoked":true} is revoked; invalid_auth, token_revoked,
// account_inactive and not_authed mean it no longer works. Webhook URLs
// have no revocation API: the plan says to remove the webhook by hand.
type SlackRevoker struct {
	base string
	hc   *http.Client
}

var _ Revoker = (*SlackRevoker)(nil)

var slackTokens = map[string]bool{
	"slack-bot-token": true, "slack-user-token": true, "slack-app-token": true,
	"slack-config-access-token": true, "slack-legacy-workspace-token": true, "slack-legacy-token": true,
}

var slackWebhooks = map[string]bool{"slack-webhook-url": true, "slack-workflow-webhook-url": true}

// NewSlackRevoker returns a Slack revoker.
func NewSlackRevoker(o SlackOptions) *SlackRevoker {
	base, hc := revokerDefaults(o.BaseURL, "https://slack.com/api", o.HTTPClient)
	return &SlackRevoker{base: base, hc: hc}
}

// Provider implements Revoker.
func (*SlackRevoker) Provider() string { return "slack" }

// Handles implements Revoker.
func (*SlackRevoker) Handles(rule string) bool { return slackTokens[rule] || slackWebhooks[rule] }

// Plan implements Revoker.
func (s *SlackRevoker) Plan(_ context.Context, t *Target) []Step {
	st := Step{
		ID:          makeStepID(t, "slack", "revoke-token"),
		Fingerprint: t.Fingerprint,
		Provider:    "slack",
		Action:      "revoke-token",
		Target:      "Slack token " + t.Secret.Redacted(),
		Where:       s.base + "/auth.revoke",
		Credentials: "the leaked token itself",
	}
	if t.Identity != "" {
		st.Target += " (" + t.Identity + ")"
	}
	switch {
	case slackWebhooks[t.Rule]:
		st.Action, st.ID = "remove-webhook", makeStepID(t, "slack", "remove-webhook")
		st.Target, st.Where, st.Credentials = "Slack webhook "+t.Secret.Redacted(), "", "a workspace admin, by hand"
		st.Problem = "Slack has no API to revoke an incoming webhook"
		st.Note = "remove the webhook (or reinstall the app) in the Slack app's Incoming Webhooks settings, then create a new one"
	case t.Secret.IsZero():
		st.Problem = tokenRedactedProblem
	}
	return []Step{st}
}

// Apply implements Revoker.
func (s *SlackRevoker) Apply(ctx context.Context, t *Target, st Step) (Outcome, error) {
	if st.Problem != "" {
		return Failed, errors.New(st.Problem)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/auth.revoke", strings.NewReader(""))
	if err != nil {
		return Failed, fmt.Errorf("slack: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+t.Secret.Reveal())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.hc.Do(req)
	if err != nil {
		return Failed, transportError("slack", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return Failed, &RetryableError{Err: fmt.Errorf("slack: auth.revoke: HTTP %d", resp.StatusCode), RetryAfter: httpRetryAfter(resp.Header)}
	}
	var body struct {
		OK      bool   `json:"ok"`
		Revoked bool   `json:"revoked"`
		Error   string `json:"error"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&body); err != nil {
		return Failed, fmt.Errorf("slack: auth.revoke: HTTP %d with an unreadable answer", resp.StatusCode)
	}
	switch {
	case body.OK && body.Revoked:
		return Done, nil
	case body.OK:
		return Failed, errors.New("slack: auth.revoke answered ok but not revoked")
	case body.Error == "invalid_auth" || body.Error == "token_revoked" || body.Error == "account_inactive" || body.Error == "not_authed":
		return Already, nil
	case body.Error == "ratelimited":
		return Failed, &RetryableError{Err: errors.New("slack: auth.revoke: rate limited"), RetryAfter: httpRetryAfter(resp.Header)}
	}
	return Failed, fmt.Errorf("slack: auth.revoke: %s", body.Error)
}
