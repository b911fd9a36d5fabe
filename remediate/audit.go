package remediate

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// The events of the audit log. A step that is carried out leaves
// "planned", then one "attempt" and one "result" per try; a step a
// previous run completed leaves "skipped". A run starts with "run-start"
// and, unless it crashed, ends with "run-end".
const (
	EventRunStart = "run-start"
	EventPlanned  = "planned"
	EventAttempt  = "attempt"
	EventResult   = "result"
	EventSkipped  = "skipped"
	EventRunEnd   = "run-end"
)

// AuditEntry is one line of the audit log. It never holds a secret:
// targets are described redacted and errors are scrubbed of the secrets of
// the target before they get here.
type AuditEntry struct {
	Time     time.Time `json:"time"`
	RunID    string    `json:"run_id"`
	Event    string    `json:"event"`
	Operator string    `json:"operator"`
	Host     string    `json:"host"`
	// Step is the step's stable ID (as in the state file).
	Step        string `json:"step,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Provider    string `json:"provider,omitempty"`
	Action      string `json:"action,omitempty"`
	Target      string `json:"target,omitempty"`
	Where       string `json:"where,omitempty"`
	Credentials string `json:"credentials,omitempty"`
	Attempt     int    `json:"attempt,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	Error       string `json:"error,omitempty"`
	// RetryIn is the wait before the next attempt, in seconds, when a
	// failed attempt will be retried.
	RetryIn float64 `json:"retry_in,omitempty"`
	URL     string  `json:"url,omitempty"`
	// Detail holds run-level facts: the mode, counts, the elapsed time.
	Detail map[string]any `json:"detail,omitempty"`
}

// AuditLog is an append-only JSON Lines file. Every entry is written with
// one write call to a file opened with O_APPEND and is fsynced before
// Write returns, so a crash loses at most the entry being written. It is
// safe for concurrent use.
type AuditLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenAuditLog opens (creating with mode 0600) the audit log at path for
// appending.
func OpenAuditLog(path string) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &AuditLog{f: f, path: path}, nil
}

// Path is the file the log writes to.
func (a *AuditLog) Path() string { return a.path }

// Write appends e as one line and syncs the file.
func (a *AuditLog) Write(e AuditEntry) error {
	if a == nil {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return fmt.Errorf("audit log %s: closed", a.path)
	}
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit log %s: sync: %w", a.path, err)
	}
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}
