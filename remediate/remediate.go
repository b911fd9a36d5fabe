// Package remediate closes the loop on a leaked secret: it plans, per unique
// secret (fingerprint), what will be revoked or deactivated, where, with
// which credentials, and which rotation ticket will be opened; then, when
// asked, carries the plan out, writing every planned step, attempt and
// outcome to an append-only audit log and the completed steps to a state
// file, so that a re-run does nothing new and a crashed run resumes.
//
// Revokers (AWS IAM, Vault, GitHub, GitLab, Slack) and ticketers (GitHub
// issues) sit behind small interfaces with injectable base URLs and HTTP
// clients. remediate never writes a secret to the audit log, the state
// file, a ticket, an error or its output: secrets are leak.Secret values
// and only a revoker's call to the secret's own provider reveals one.
package remediate

import (
	"context"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// Target is one unique leaked secret to act on.
type Target struct {
	Fingerprint string
	Rule        string
	Description string
	// Secret is the raw secret; zero when the report was redacted, in
	// which case only steps that need no secret can be planned.
	Secret leak.Secret
	// Companions are the other parts of a multi-part credential found near
	// the secret (an AWS secret key for an access key id), by rule id.
	Companions map[string]leak.Secret
	Status     leak.Status
	Identity   string
	CheckedAt  time.Time
	// Locations lists every place the secret was found.
	Locations []leak.Origin
	// CoveredBy, when set, is the fingerprint of the target this secret is
	// a part of (an AWS secret key whose access key id was found beside
	// it): it is remediated with that target and gets no plan of its own.
	CoveredBy string
}

// Step is one planned action on one target. Steps never hold the secret.
type Step struct {
	// ID is stable across runs (fingerprint prefix, provider and action):
	// the state file records completed steps by it.
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
	Provider    string `json:"provider"`
	// Action is what is done: "deactivate-access-key", "revoke-token",
	// "revoke-lease", "revoke-lease-prefix", "open-ticket", ...
	Action string `json:"action"`
	// Target says what is acted on, redacted: "access key AKIA**** of IAM
	// user alice in account 123456789012", "issue in org/repo".
	Target string `json:"target"`
	// Where is the endpoint called (a base URL).
	Where string `json:"where,omitempty"`
	// Credentials names whose authority is used: "AWS credential chain",
	// "GITHUB_TOKEN", "the leaked token itself", "none (unauthenticated)".
	Credentials string `json:"credentials"`
	// Problem, when set, says why the step cannot be carried out (a
	// missing credential, a redacted secret, a temporary AWS key). Such a
	// step is shown in the plan and counted as failed by Apply.
	Problem string `json:"problem,omitempty"`
	// Note adds advice (what to do by hand instead).
	Note string `json:"note,omitempty"`
}

// Outcome is what applying a step did.
type Outcome string

// The outcomes of a step.
const (
	Done    Outcome = "done"    // the action was carried out now
	Already Outcome = "already" // nothing to do: it was already so (key inactive, issue open)
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped" // completed in an earlier run (state file)
)

// Revoker revokes or deactivates the secrets of one provider.
type Revoker interface {
	// Provider names the provider ("aws", "vault", "github", "gitlab",
	// "slack"); [remediate] enables providers by this name.
	Provider() string
	// Handles reports whether the revoker acts on secrets found by rule.
	Handles(rule string) bool
	// Plan returns the steps for t, in order, without changing anything.
	// A step it cannot carry out has Problem set.
	Plan(ctx context.Context, t *Target) []Step
	// Apply carries out one of the steps Plan returned. It returns Already
	// when there was nothing to do, so re-runs are harmless. A returned
	// *RetryableError (wrapped or not) may be retried with backoff.
	Apply(ctx context.Context, t *Target, s Step) (Outcome, error)
}

// Ticketer opens (or finds and updates) one rotation ticket per secret.
type Ticketer interface {
	Provider() string
	// Plan returns the ticket step for t.
	Plan(ctx context.Context, t *Target) Step
	// Apply opens the ticket, or updates the one a previous run opened
	// (found by a hidden marker holding the fingerprint), describing t and
	// what the revocation steps did. It returns the ticket's URL.
	Apply(ctx context.Context, t *Target, s Step, revocations []StepResult) (url string, out Outcome, err error)
}

// StepResult is a step and what became of it.
type StepResult struct {
	Step    Step      `json:"step"`
	Outcome Outcome   `json:"outcome"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
	// URL is the ticket's address, for ticket steps.
	URL string `json:"url,omitempty"`
}

// RetryableError marks a failure worth retrying (429, 5xx, timeouts), with
// the wait the provider asked for.
type RetryableError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }
