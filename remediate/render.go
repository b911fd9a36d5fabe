package remediate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Document is the JSON rendering (--format json) of a plan and, after
// Apply, its results and summary.
type Document struct {
	Version int `json:"version"`
	// Mode is "plan" for a dry run, "apply" when the plan was carried out.
	Mode    string   `json:"mode"`
	Plan    *Plan    `json:"plan"`
	Summary *Summary `json:"summary,omitempty"`
}

// DocumentVersion is the version of the JSON rendering.
const DocumentVersion = 1

// WriteJSON writes the plan (and, when sum is not nil, the results and
// summary) as one indented JSON object.
func WriteJSON(w io.Writer, plan *Plan, sum *Summary) error {
	doc := Document{Version: DocumentVersion, Mode: "plan", Plan: plan, Summary: sum}
	if sum != nil {
		doc.Mode = "apply"
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WritePlanText writes the plan for people: each secret, where it was
// found, its steps in order with where and with whose credentials they
// act, and the problems that keep a step from being carried out.
func WritePlanText(w io.Writer, plan *Plan, applying bool) error {
	bw := &errWriter{w: w}
	if applying {
		bw.printf("Remediation plan (being applied):\n")
	} else {
		bw.printf("Remediation plan (dry run: nothing is changed; --apply carries it out):\n")
	}
	if plan.Emergency {
		bw.printf("EMERGENCY mode: steps may revoke more than the leaked secrets (see each step).\n")
	}
	steps, problems, acted := 0, 0, 0
	for i, tp := range plan.Targets {
		bw.printf("\n%d. %s %s  [%s]  fingerprint %s\n", i+1, tp.Rule, tp.Secret, tp.Status, short(tp.Fingerprint))
		if tp.Identity != "" {
			bw.printf("   identity: %s\n", tp.Identity)
		}
		bw.printf("   found at: %s\n", locations(tp))
		if tp.Skipped != "" {
			bw.printf("   not revoked: %s\n", tp.Skipped)
		}
		if tp.Manual != "" {
			bw.printf("   by hand: %s\n", tp.Manual)
		}
		if len(tp.Steps) > 0 {
			acted++
		}
		for j, s := range tp.Steps {
			steps++
			bw.printf("   %d) %s %s: %s\n", j+1, s.Provider, s.Action, s.Target)
			if s.Where != "" {
				bw.printf("      where: %s\n", s.Where)
			}
			if s.Credentials != "" {
				bw.printf("      with:  %s\n", s.Credentials)
			}
			if s.Note != "" {
				bw.printf("      note:  %s\n", s.Note)
			}
			if s.Problem != "" {
				problems++
				bw.printf("      PROBLEM: %s\n", s.Problem)
			}
		}
	}
	bw.printf("\nPlan: %d secrets, %d to act on, %d steps", len(plan.Targets), acted, steps)
	if problems > 0 {
		bw.printf(", %d that cannot be carried out (PROBLEM above)", problems)
	}
	bw.printf(".\n")
	return bw.err
}

func locations(tp *TargetPlan) string {
	const max = 5
	var parts []string
	for i, o := range tp.Locations {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(tp.Locations)-max))
			break
		}
		p := fmt.Sprintf("%s:%d", o.Path, o.Line)
		if o.Commit != "" {
			c := o.Commit
			if len(c) > 12 {
				c = c[:12]
			}
			p += " (commit " + c + ")"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "(no location)"
	}
	return strings.Join(parts, ", ")
}

// WriteResultsText writes what Apply did, step by step, then the summary:
// counts per outcome, the failed steps with their errors, and the time from
// the start of the run to the last revocation.
func WriteResultsText(w io.Writer, plan *Plan, sum *Summary) error {
	bw := &errWriter{w: w}
	bw.printf("\nResults (run %s):\n", sum.RunID)
	for _, tp := range plan.Targets {
		for _, res := range tp.Results {
			line := fmt.Sprintf("  %s %s %s %s: %s", tp.Secret, short(tp.Fingerprint), res.Step.Provider, res.Step.Action, res.Outcome)
			if res.URL != "" {
				line += " " + res.URL
			}
			if res.Error != "" {
				line += ": " + oneLine(res.Error)
			}
			bw.printf("%s\n", line)
		}
	}
	WriteSummaryText(bw, sum)
	return bw.err
}

// WriteSummaryText writes the summary lines of an Apply run.
func WriteSummaryText(w io.Writer, sum *Summary) {
	fmt.Fprintf(w, "\nSummary: %d secrets acted on: %d done, %d already so, %d skipped (done by an earlier run), %d failed.\n",
		sum.Acted, sum.Done, sum.Already, sum.Skipped, sum.Failed)
	if sum.Revocations > 0 {
		fmt.Fprintf(w, "Time to revoke: %d revocations, the last %s after remediate --apply started (run total %s).\n",
			sum.Revocations, round(sum.LastRevocation), round(sum.Elapsed))
	} else {
		fmt.Fprintf(w, "Time to revoke: no revocation carried out in this run (run total %s).\n", round(sum.Elapsed))
	}
	if sum.Canceled {
		fmt.Fprintf(w, "The run was interrupted: re-run the same command to finish it (completed steps are skipped).\n")
	}
	if len(sum.FailedSteps) > 0 {
		fmt.Fprintf(w, "Failed steps:\n")
		for _, res := range sum.FailedSteps {
			fmt.Fprintf(w, "  - %s (%s): %s\n", res.Step.ID, res.Step.Target, oneLine(res.Error))
		}
	}
	if len(sum.Manual) > 0 {
		fmt.Fprintf(w, "Left to rotate by hand (no revoker for them):\n")
		for _, m := range sum.Manual {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
	for _, e := range sum.Errors {
		fmt.Fprintf(w, "Error: %s\n", e)
	}
	if sum.AuditLog != "" {
		fmt.Fprintf(w, "Audit log: %s\n", sum.AuditLog)
	}
	if sum.State != "" {
		fmt.Fprintf(w, "State: %s\n", sum.State)
	}
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
