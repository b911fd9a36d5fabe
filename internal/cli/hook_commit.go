package cli

import "github.com/spf13/cobra"

// hookPreCommitCmd is a placeholder until its work lands.
func (e *env) hookPreCommitCmd() *cobra.Command {
	return &cobra.Command{Use: "pre-commit", RunE: func(*cobra.Command, []string) error {
		return usageError("hook pre-commit: not available in this build yet")
	}}
}

// hookInstallCmd is a placeholder until its work lands.
func (e *env) hookInstallCmd() *cobra.Command {
	return &cobra.Command{Use: "install", RunE: func(*cobra.Command, []string) error {
		return usageError("hook install: not available in this build yet")
	}}
}
