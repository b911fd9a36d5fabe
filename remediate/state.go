package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// StepState records a completed step in the state file.
type StepState struct {
	Fingerprint string    `json:"fingerprint"`
	Provider    string    `json:"provider"`
	Action      string    `json:"action"`
	Outcome     Outcome   `json:"outcome"`
	At          time.Time `json:"at"`
	RunID       string    `json:"run_id"`
	// URL is the ticket's address, for ticket steps.
	URL string `json:"url,omitempty"`
}

type stateFile struct {
	Version int                  `json:"version"`
	Steps   map[string]StepState `json:"steps"`
}

// State is the resumable record of completed steps, by step ID. Only
// steps that succeeded (done or already) are recorded, so a re-run skips
// them and retries everything else. The file is rewritten atomically
// (temporary file, fsync, rename) after every completed step, with mode
// 0600. It never holds a secret. It is safe for concurrent use.
type State struct {
	mu   sync.Mutex
	path string
	data stateFile
}

// LoadState reads the state file at path; a missing file is an empty
// state that will be created on the first completed step.
func LoadState(path string) (*State, error) {
	s := &State{path: path, data: stateFile{Version: StateVersion, Steps: map[string]StepState{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("state %s: not a leakgate remediation state file: %w", path, err)
	}
	if s.data.Version != StateVersion {
		return nil, fmt.Errorf("state %s: unsupported version %d", path, s.data.Version)
	}
	if s.data.Steps == nil {
		s.data.Steps = map[string]StepState{}
	}
	return s, nil
}

// Path is the state file's name.
func (s *State) Path() string { return s.path }

// Completed returns the record of a completed step.
func (s *State) Completed(id string) (StepState, bool) {
	if s == nil {
		return StepState{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.data.Steps[id]
	return st, ok
}

// Complete records a completed step and saves the file.
func (s *State) Complete(id string, st StepState) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.Steps[id] = st
	return s.save()
}

func (s *State) save() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; not all systems allow syncing a directory
		d.Close()
	}
	return nil
}
